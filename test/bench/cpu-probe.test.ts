import assert from "node:assert/strict";
import { describe, it } from "vitest";
import {
  type CpuProbeWork,
  probeSlowdown,
  QUIET_PROBE_REFERENCE,
  runCpuProbe,
} from "../../bench/report/cpu-probe.ts";

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

  it("has a quiet reference, and its slowdown is the geometric mean of the parts' ratios", () => {
    const { jsHashMs, protobufMs, loopbackMs, machine } = QUIET_PROBE_REFERENCE;
    for (const part of [jsHashMs, protobufMs, loopbackMs]) {
      assert.ok(part > 0);
    }
    assert.notEqual(machine, "");
    const reference = { jsHashMs: 10, protobufMs: 20, loopbackMs: 40 };
    assert.equal(probeSlowdown({ jsHashMs: 10, protobufMs: 20, loopbackMs: 40 }, reference), 1);
    // 2 × 1 × 4 → the cube root of 8.
    const slowdown = probeSlowdown({ jsHashMs: 20, protobufMs: 20, loopbackMs: 160 }, reference);
    assert.ok(slowdown !== undefined && Math.abs(slowdown - 2) < 1e-9, `got ${slowdown}`);
    assert.equal(
      probeSlowdown({ jsHashMs: 1, protobufMs: 1, loopbackMs: 1 }, { ...reference, loopbackMs: 0 }),
      undefined,
    );
  });
});
