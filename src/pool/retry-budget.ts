/**
 * gRPC's retry throttle: a token bucket shared by a transport's calls. It
 * starts full; each failed attempt takes a token and each successful call
 * gives back `tokenRatio`; a retry is allowed only while more than half the
 * bucket is left. When a whole peer set fails, retries stop after a few
 * failures instead of multiplying the load.
 */
export class RetryBudget {
  readonly #maxTokens: number;
  readonly #tokenRatio: number;
  #tokens: number;

  constructor(maxTokens: number, tokenRatio: number) {
    this.#maxTokens = maxTokens;
    this.#tokenRatio = tokenRatio;
    this.#tokens = maxTokens;
  }

  get tokens(): number {
    return this.#tokens;
  }

  /** Whether a retry may run now. */
  get allowsRetry(): boolean {
    return this.#tokens > this.#maxTokens / 2;
  }

  onFailure(): void {
    this.#tokens = Math.max(0, this.#tokens - 1);
  }

  onSuccess(): void {
    this.#tokens = Math.min(this.#maxTokens, this.#tokens + this.#tokenRatio);
  }
}
