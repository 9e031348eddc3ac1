import assert from "node:assert/strict";
import { describe, it } from "vitest";
import {
  machineVerdict,
  VERDICT_LIMITS,
  type VerdictInput,
} from "../../bench/report/machine-verdict.ts";

const QUIET: VerdictInput = {
  probeSlowdownAtStart: 1.05,
  probeSlowdownAtEnd: 1.1,
  idleBusyPercentAtStart: 2,
  idleBusyPercentAtEnd: 3,
  stealPercent: 0.5,
  windows: 40,
  disturbedWindows: 1,
};

const BUSY_LINE = /^busy machine: ratios not quotable \(/;

describe("the machine verdict", () => {
  it("calls a run quiet when every figure is within its limit", () => {
    const verdict = machineVerdict(QUIET);
    assert.equal(verdict.quotable, true);
    assert.deepEqual(verdict.reasons, []);
    assert.match(verdict.line, /^quiet machine: ratios quotable \(/);
    assert.match(verdict.line, /1\.05× \/ 1\.10×/);
  });

  it("accepts figures exactly at their limits", () => {
    const verdict = machineVerdict({
      probeSlowdownAtStart: VERDICT_LIMITS.probeSlowdown,
      probeSlowdownAtEnd: VERDICT_LIMITS.probeSlowdown,
      idleBusyPercentAtStart: VERDICT_LIMITS.idleBusyPercent,
      idleBusyPercentAtEnd: VERDICT_LIMITS.idleBusyPercent,
      stealPercent: VERDICT_LIMITS.stealPercent,
      windows: 100,
      disturbedWindows: 100 * VERDICT_LIMITS.disturbedWindowShare,
    });
    assert.equal(verdict.quotable, true, verdict.line);
  });

  const crossings: readonly [string, Partial<VerdictInput>, RegExp][] = [
    [
      "a slow probe at the start",
      { probeSlowdownAtStart: 1.6 },
      /CPU probe 1\.60× .* at the start/,
    ],
    ["a slow probe at the end", { probeSlowdownAtEnd: 1.31 }, /CPU probe 1\.31× .* at the end/],
    ["a busy machine before", { idleBusyPercentAtStart: 35 }, /35% busy just before the run/],
    ["a busy machine after", { idleBusyPercentAtEnd: 10.5 }, /10\.5% busy just after the run/],
    ["steal", { stealPercent: 12 }, /CPU steal 12%/],
    ["disturbed windows", { windows: 40, disturbedWindows: 5 }, /in 5 of 40 measured windows/],
  ];
  for (const [what, change, reason] of crossings) {
    it(`calls a run busy for ${what}`, () => {
      const verdict = machineVerdict({ ...QUIET, ...change });
      assert.equal(verdict.quotable, false);
      assert.equal(verdict.reasons.length, 1, verdict.line);
      assert.match(verdict.line, BUSY_LINE);
      assert.match(verdict.line, reason);
    });
  }

  it("gives every reason at once, and follows the limits it is given", () => {
    const verdict = machineVerdict({
      ...QUIET,
      probeSlowdownAtStart: 2,
      idleBusyPercentAtStart: 50,
      stealPercent: 20,
    });
    assert.equal(verdict.reasons.length, 3);
    const lenient = machineVerdict(
      { ...QUIET, probeSlowdownAtStart: 2 },
      { ...VERDICT_LIMITS, probeSlowdown: 3 },
    );
    assert.equal(lenient.quotable, true);
  });

  it("leaves out what it could not know (no probe reference, no steal figure, no windows)", () => {
    const verdict = machineVerdict({
      ...QUIET,
      probeSlowdownAtStart: undefined,
      probeSlowdownAtEnd: undefined,
      stealPercent: undefined,
      windows: 0,
      disturbedWindows: 0,
    });
    assert.equal(verdict.quotable, true);
    assert.match(verdict.line, /no quiet probe reference/);
    assert.doesNotMatch(verdict.line, /steal/);
  });
});
