import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { judgeGrowth, judgeIdleCpu, LINEAR_SLACK } from "../../bench/scale/growth-verdict.ts";

const curve = (values: readonly number[], counts = [10, 100, 1000, 5000]) =>
  values.map((value, index) => ({ peers: counts[index] as number, value }));

describe("the scale curve's growth verdict", () => {
  it("passes linear and slower growth, judged from 100 peers on", () => {
    const linear = judgeGrowth(curve([99, 10, 100, 500]));
    assert.equal(linear.verdict, "PASS");
    assert.equal(linear.reference?.peers, 100, "the reference is the first count ≥ 100");
    assert.equal(linear.largest?.peers, 5000);
    assert.equal(linear.ratio, 1);
    // Sub-linear (a fixed cost spread over more peers) passes too.
    assert.equal(judgeGrowth(curve([1, 10, 50, 100])).verdict, "PASS");
  });

  it("misses growth faster than linear beyond the slack, and passes at the slack", () => {
    const quadratic = judgeGrowth(curve([1, 10, 1000, 25_000]));
    assert.equal(quadratic.verdict, "MISS");
    assert.equal(quadratic.ratio, 50);
    const atSlack = judgeGrowth(curve([1, 10, 100, 500 * LINEAR_SLACK]));
    assert.equal(atSlack.verdict, "PASS");
    const pastSlack = judgeGrowth(curve([1, 10, 100, 500 * LINEAR_SLACK * 1.01]));
    assert.equal(pastSlack.verdict, "MISS");
  });

  it("takes the first count as the reference when none reaches 100", () => {
    const tiny = judgeGrowth(curve([2, 8], [2, 4]));
    assert.equal(tiny.reference?.peers, 2);
    assert.equal(tiny.ratio, 2);
    assert.equal(tiny.verdict, "MISS");
  });

  it("does not judge one count, or a curve that did not grow at its reference", () => {
    assert.equal(judgeGrowth(curve([5])).verdict, "n/a");
    assert.equal(judgeGrowth([]).verdict, "n/a");
    assert.equal(judgeGrowth(curve([1, -3, 100, 500])).verdict, "n/a");
    // Nothing grew at the largest count: no faster than linear.
    assert.equal(judgeGrowth(curve([1, 10, 100, -1])).verdict, "PASS");
  });

  it("judges the idle CPU target at 5,000 peers only", () => {
    const steps = (percent: number) => [
      { peers: 1000, serverIdleCpuPercent: 50 },
      { peers: 5000, serverIdleCpuPercent: percent },
    ];
    assert.deepEqual(judgeIdleCpu(steps(9.9)), { percent: 9.9, verdict: "PASS" });
    assert.deepEqual(judgeIdleCpu(steps(10)), { percent: 10, verdict: "MISS" });
    assert.deepEqual(judgeIdleCpu(steps(1).slice(0, 1)), {
      percent: undefined,
      verdict: "not reached",
    });
  });
});
