/** How strongly docs/PROTOCOL.md asks for a rule (RFC 2119). */
export type Requirement = "MUST" | "SHOULD";

/**
 * One row of the conformance suite: one MUST or SHOULD of docs/PROTOCOL.md,
 * the section it is written in, and a check that fails (throws) when the
 * implementation under test breaks it.
 */
export interface ConformanceCase<Context> {
  /** Stable, kebab-case: `server.eof-mid-call`. */
  readonly id: string;
  /** Where the rule is written, e.g. `§5.2`. */
  readonly section: string;
  readonly requirement: Requirement;
  /** The rule, in a sentence. */
  readonly rule: string;
  /** Runs the check; rejects when the rule is broken. `context.signal` ends it. */
  readonly run: (context: Context) => Promise<void>;
}

/** The result of one row. */
export interface CaseResult {
  readonly id: string;
  readonly section: string;
  readonly requirement: Requirement;
  readonly passed: boolean;
  readonly error?: unknown;
  readonly durationMs: number;
}

/** The longest one row may take, in milliseconds, unless the runner says otherwise. */
export const DEFAULT_CASE_TIMEOUT_MS = 10_000;

/**
 * Runs rows one after the other, each with a fresh context whose signal
 * aborts after `timeoutMs`, and reports each one's result.
 */
export async function runCases<Context extends { readonly signal: AbortSignal }>(
  cases: readonly ConformanceCase<Context>[],
  makeContext: (signal: AbortSignal) => Context | Promise<Context>,
  onResult: (result: CaseResult) => void = () => {},
  timeoutMs = DEFAULT_CASE_TIMEOUT_MS,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const row of cases) {
    const started = Date.now();
    const signal = AbortSignal.timeout(timeoutMs);
    let result: CaseResult;
    try {
      await row.run(await makeContext(signal));
      result = { ...pick(row), passed: true, durationMs: Date.now() - started };
    } catch (error) {
      result = { ...pick(row), passed: false, error, durationMs: Date.now() - started };
    }
    results.push(result);
    onResult(result);
  }
  return results;
}

function pick(row: ConformanceCase<never>): Pick<CaseResult, "id" | "section" | "requirement"> {
  return { id: row.id, section: row.section, requirement: row.requirement };
}
