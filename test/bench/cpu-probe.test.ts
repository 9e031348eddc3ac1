import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { type CpuProbeWork, runCpuProbe } from "../../bench/report/cpu-probe.ts";

/** A tenth of the recorded probe's work or less: the figures, not their size, are tested. */
const SMALL_WORK: CpuProbeWork = {
  hashPasses: 4,
  protobufRoundTrips: 2_000,
  loopbackRoundTrips: 200,
  repeats: 3,
};

describe("the CPU probe", () => {
  it("returns positive, finite times for each part and the same checksum for the same work", async () => {
    const signal = AbortSignal.timeout(20_000);
    const first = await runCpuProbe(SMALL_WORK, signal);
    const second = await runCpuProbe(SMALL_WORK, signal);
    for (const result of [first, second]) {
      for (const part of [result.jsHashMs, result.protobufMs, result.loopbackMs]) {
        assert.ok(Number.isFinite(part) && part > 0, `part took ${part} ms`);
        // Far above what this work takes on any machine that runs the tests.
        assert.ok(part < 10_000, `part took ${part} ms`);
      }
    }
    assert.equal(first.checksum, second.checksum);
    const more = await runCpuProbe({ ...SMALL_WORK, hashPasses: 5 }, signal);
    assert.notEqual(more.checksum, first.checksum, "the checksum follows the work done");
  });

  it("stops when its signal aborts", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop the probe"));
    await assert.rejects(runCpuProbe(SMALL_WORK, controller.signal), /stop the probe/);
  });
});
