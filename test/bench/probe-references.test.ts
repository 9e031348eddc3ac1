import assert from "node:assert/strict";
import { describe, it } from "vitest";
import {
  probeSlowdown,
  QUIET_PROBE_REFERENCES,
  quietReferenceFor,
} from "../../bench/report/probe-references.ts";

describe("the CPU probe's quiet references", () => {
  it("are positive figures, one per CPU model and core count", () => {
    assert.ok(QUIET_PROBE_REFERENCES.length > 0);
    const kinds = new Set(QUIET_PROBE_REFERENCES.map(({ cpu, cores }) => `${cores} × ${cpu}`));
    assert.equal(kinds.size, QUIET_PROBE_REFERENCES.length);
    for (const { jsHashMs, protobufMs, loopbackMs, recorded } of QUIET_PROBE_REFERENCES) {
      for (const part of [jsHashMs, protobufMs, loopbackMs]) {
        assert.ok(part > 0);
      }
      assert.notEqual(recorded, "");
    }
  });

  it("apply only to the CPU model and core count they were taken on", () => {
    const references = [
      { cpu: "AMD EPYC", cores: 2, recorded: "test", jsHashMs: 1, protobufMs: 1, loopbackMs: 1 },
      { cpu: "Intel Xeon", cores: 2, recorded: "test", jsHashMs: 2, protobufMs: 2, loopbackMs: 2 },
    ];
    assert.equal(quietReferenceFor("Intel Xeon", 2, references)?.jsHashMs, 2);
    assert.equal(quietReferenceFor("AMD EPYC", 2, references)?.jsHashMs, 1);
    assert.equal(quietReferenceFor("AMD EPYC", 4, references), undefined);
    assert.equal(quietReferenceFor("Apple M2", 2, references), undefined);
  });

  it("give a slowdown that is the geometric mean of the parts' ratios", () => {
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
