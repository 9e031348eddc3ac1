import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { RetryBudget } from "../../src/pool/retry-budget.ts";
import { backoffMs, DEFAULT_RETRY, resolveRetryOptions } from "../../src/pool/retry-options.ts";

describe("retry options", () => {
  it("default to 3 attempts, 100 ms base and a 5 s cap", () => {
    assert.deepEqual(resolveRetryOptions(undefined), DEFAULT_RETRY);
    assert.equal(DEFAULT_RETRY.maxAttempts, 3);
    assert.equal(DEFAULT_RETRY.initialBackoffMs, 100);
    assert.equal(DEFAULT_RETRY.maxBackoffMs, 5000);
  });

  it("refuse nonsense with a clear error", () => {
    assert.throws(() => resolveRetryOptions({ maxAttempts: 0 }), RangeError);
    assert.throws(() => resolveRetryOptions({ maxAttempts: 1.5 }), RangeError);
    assert.throws(() => resolveRetryOptions({ initialBackoffMs: -1 }), RangeError);
    assert.throws(() => resolveRetryOptions({ maxBackoffMs: Number.NaN }), RangeError);
  });

  it("back off with full jitter below a bound that doubles up to the cap", () => {
    const options = resolveRetryOptions({ initialBackoffMs: 100, maxBackoffMs: 1000 });
    assert.equal(
      backoffMs(options, 2, () => 0.999999),
      99.9999,
    );
    assert.equal(
      backoffMs(options, 3, () => 0.5),
      100,
    );
    assert.equal(
      backoffMs(options, 4, () => 0.5),
      200,
    );
    assert.equal(
      backoffMs(options, 20, () => 0.5),
      500,
    );
    assert.equal(
      backoffMs(options, 2, () => 0),
      0,
    );
  });
});

describe("RetryBudget", () => {
  it("allows retries while more than half its tokens are left, and refills on success", () => {
    const budget = new RetryBudget(10, 0.5);
    for (let failures = 0; failures < 4; failures++) {
      budget.onFailure();
      assert.equal(budget.allowsRetry, true, `after ${failures + 1} failures`);
    }
    budget.onFailure();
    assert.equal(budget.allowsRetry, false, "at half");
    budget.onSuccess();
    assert.equal(budget.allowsRetry, true);
    for (let i = 0; i < 100; i++) {
      budget.onSuccess();
    }
    assert.equal(budget.tokens, 10, "never over its size");
  });
});
