import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { cpuShareBetween, parseProcStat } from "../../bench/report/machine-load.ts";

const PROC_STAT = `cpu  1000 50 250 8000 100 10 40 500 30 0
cpu0 500 25 125 4000 50 5 20 250 15 0
cpu1 500 25 125 4000 50 5 20 250 15 0
intr 12345
ctxt 67890
`;

describe("machine load from /proc/stat", () => {
  it("reads the aggregate cpu line: busy without idle, iowait and steal; guest not counted twice", () => {
    assert.deepEqual(parseProcStat(PROC_STAT), {
      busy: 1000 + 50 + 250 + 10 + 40,
      steal: 500,
      total: 1000 + 50 + 250 + 10 + 40 + 500 + 8000 + 100,
      source: "/proc/stat",
    });
  });

  it("gives up on text without an aggregate cpu line", () => {
    assert.equal(parseProcStat("cpu0 1 2 3 4\nintr 5\n"), undefined);
    assert.equal(parseProcStat("cpu  a b c d\n"), undefined);
  });

  it("turns two readings into busy and steal shares of the machine", () => {
    const start = { busy: 1000, steal: 100, total: 10_000, source: "/proc/stat" } as const;
    const end = { busy: 1600, steal: 150, total: 11_000, source: "/proc/stat" } as const;
    assert.deepEqual(cpuShareBetween(start, end), { busyPercent: 60, stealPercent: 5 });
    const noSteal = cpuShareBetween({ ...start, source: "os.cpus" }, { ...end, source: "os.cpus" });
    assert.equal(noSteal.stealPercent, undefined);
    assert.ok(Number.isNaN(cpuShareBetween(start, start).busyPercent));
  });
});
