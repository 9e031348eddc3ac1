import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { renderHeldTargets } from "../../bench/report/markdown-report.ts";
import { combineTargets, type TargetResult } from "../../bench/report/targets.ts";
import type { WorkloadId } from "../../bench/workload-catalog.ts";

function target(id: string, workload: WorkloadId, ratio: number | undefined): TargetResult {
  const pass = ratio === undefined ? undefined : ratio >= 2;
  return { id, description: id, workload, ratio, goal: "≥ 2", pass, overhead: false };
}

describe("targets that hold in both steady and cold cells", () => {
  it("hold only where steady and cold both pass", () => {
    const steady = [
      target("both", "b", 3),
      target("cold-misses", "a", 3),
      target("steady-misses", "c", 1),
    ];
    const cold = [
      target("both", "b", 2.5),
      target("cold-misses", "a", 1.5),
      target("steady-misses", "c", 4),
    ];
    const held = combineTargets(steady, cold);
    assert.deepEqual(
      held.map(({ steady: result, holds }) => [result.id, holds]),
      [
        ["both", true],
        ["cold-misses", false],
        ["steady-misses", false],
      ],
    );
    assert.equal(held[1]?.cold?.ratio, 1.5);
  });

  it("judge a workload without cold cells on the steady figure alone", () => {
    const held = combineTargets([target("bulk", "e", 3), target("connect", "f", 1)], []);
    assert.deepEqual(
      held.map(({ cold, holds }) => [cold, holds]),
      [
        [undefined, true],
        [undefined, false],
      ],
    );
    const table = renderHeldTargets(held);
    assert.match(
      table,
      /\| bulk \| 3\.00× \| n\/a \| ≥ 2 \| PASS \| n\/a \| PASS \(steady only\) \|/,
    );
  });

  it("leave it open when a needed side was not measured", () => {
    const held = combineTargets(
      [target("a", "a", 3), target("b", "b", undefined)],
      [target("a", "a", undefined), target("b", "b", 3)],
    );
    assert.deepEqual(
      held.map(({ holds }) => holds),
      [undefined, undefined],
    );
    assert.match(
      renderHeldTargets(held),
      /\| a \| 3\.00× \| not measured \| ≥ 2 \| PASS \| – \| – \|/,
    );
  });
});
