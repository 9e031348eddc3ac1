import assert from "node:assert/strict";
import { describe, it } from "vitest";
import type { PeerLoad } from "../../src/pool/balance-policy.ts";
import { leastLoaded } from "../../src/pool/least-loaded.ts";
import { pickFirst } from "../../src/pool/pick-first.ts";
import { roundRobin } from "../../src/pool/round-robin.ts";

const peer = (id: string, load: Partial<PeerLoad> = {}): PeerLoad => ({
  id,
  inFlight: 0,
  latencyMs: 0,
  failures: 0,
  ...load,
});

/** A `random()` that returns `values` in turn. */
const sequence = (...values: number[]): (() => number) => {
  let index = 0;
  return () => values[index++ % values.length] as number;
};

describe("pickFirst", () => {
  it("takes the first peer while it has not failed, then the next", () => {
    const policy = pickFirst();
    assert.equal(policy.pick([peer("a"), peer("b"), peer("c")]).id, "a");
    assert.equal(policy.pick([peer("a", { failures: 2 }), peer("b"), peer("c")]).id, "b");
    assert.equal(
      policy.pick([
        peer("a", { failures: 2 }),
        peer("b", { failures: 1 }),
        peer("c", { failures: 1 }),
      ]).id,
      "b",
    );
  });
});

describe("roundRobin", () => {
  it("takes the peers in turn", () => {
    const policy = roundRobin();
    const peers = [peer("a"), peer("b"), peer("c")];
    const picked = Array.from({ length: 7 }, () => policy.pick(peers).id);
    assert.deepEqual(picked, ["a", "b", "c", "a", "b", "c", "a"]);
  });
});

describe("leastLoaded", () => {
  it("of two random peers takes the one with the lower latency times load", () => {
    const peers = [
      peer("a", { latencyMs: 20 }),
      peer("b", { latencyMs: 1 }),
      peer("c", { latencyMs: 1, inFlight: 30 }),
    ];
    // Draws a and b: b is faster.
    assert.equal(leastLoaded(sequence(0, 0)).pick(peers).id, "b");
    // Draws a and c: c's 31 calls at 1 ms cost more than a's one at 20 ms.
    assert.equal(leastLoaded(sequence(0, 0.99)).pick(peers).id, "a");
  });

  it("never draws the same peer twice, and tries a peer never measured", () => {
    const peers = [peer("slow", { latencyMs: 5 }), peer("new")];
    for (let i = 0; i < 20; i++) {
      assert.equal(leastLoaded().pick(peers).id, "new");
    }
  });

  it("with one peer takes it", () => {
    assert.equal(leastLoaded().pick([peer("only")]).id, "only");
  });
});
