import assert from "node:assert/strict";
import { describe, it } from "vitest";
import type { MachineCheck } from "../../bench/report/machine-check.ts";
import { machineCheckLine, renderMachine } from "../../bench/report/render-machine.ts";
import { summarizeMachine } from "../../bench/report/summarize-machine.ts";

function check(
  probeMs: number,
  withReference: boolean,
  ticks: MachineCheck["ticks"],
): MachineCheck {
  const reference = withReference
    ? { cpu: "Test CPU", cores: 2, recorded: "test", jsHashMs: 10, protobufMs: 10, loopbackMs: 10 }
    : undefined;
  return {
    at: "2026-12-02T00:00:00.000Z",
    loadAverage: [0.5, 0.25, 0.125],
    idle: { busyPercent: 2, stealPercent: 0 },
    probe: { jsHashMs: probeMs, protobufMs: probeMs, loopbackMs: probeMs, checksum: 1 },
    reference,
    probeSlowdown: withReference ? probeMs / 10 : undefined,
    ticks,
  };
}

const START_TICKS = { busy: 0, steal: 0, total: 1000, source: "/proc/stat" } as const;
const END_TICKS = { busy: 500, steal: 100, total: 2000, source: "/proc/stat" } as const;

describe("the report's machine section", () => {
  it("leads with the verdict, from the checks and the run's windows", () => {
    const report = summarizeMachine(check(20, true, START_TICKS), check(10, true, END_TICKS), [
      { mode: "steady", round: 1, system: "net", workload: "a", metrics: { otherCpu: 1 } },
    ]);
    assert.equal(report.overRun.stealPercent, 10);
    const section = renderMachine(report);
    assert.match(
      section,
      /^\*\*busy machine: ratios not quotable \(CPU probe 2\.00× .*at the start.*CPU steal 10%/,
    );
    assert.match(section, /\| CPU probe ÷ quiet reference \| 2\.00× \| 1\.00× \| 1\.00× \|/);
    assert.match(section, /quiet reference \(2-core Test CPU\)/);
  });

  it("says when there is no reference for the CPU, and judges without the probe", () => {
    const start = check(20, false, START_TICKS);
    const report = summarizeMachine(start, check(20, false, { ...START_TICKS, total: 2000 }), []);
    assert.equal(report.verdict.quotable, true);
    assert.match(renderMachine(report), /quiet reference \(none for this CPU\)/);
    assert.match(machineCheckLine("start", start), /no quiet reference for this CPU/);
  });
});
