import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { resolveTransportOptions } from "../../src/client/resolve-transport-options.ts";
import type { Libp2pTransportOptions } from "../../src/index.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_STREAMS_PER_METHOD } from "../../src/index.ts";

const PEER = "/memory/resolve-options/p2p/12D3KooWGC6TvWhfapngX6wvJHMYvKpDMXPb3ZnCZ6dMoaMtimQ5";
const libp2p = { dial: async () => Promise.reject(new Error("not dialed in this test")) };

/** Options a caller might pass, whatever their types say. */
function resolve(extra: Record<string, unknown>): ReturnType<typeof resolveTransportOptions> {
  return resolveTransportOptions({ libp2p, peer: PEER, ...extra } as Libp2pTransportOptions);
}

describe("createLibp2pTransport's options, resolved once", () => {
  it("fills every default", () => {
    const resolved = resolve({});
    assert.equal(resolved.call.readMaxBytes, DEFAULT_MAX_MESSAGE_BYTES);
    assert.equal(resolved.call.writeMaxBytes, DEFAULT_MAX_MESSAGE_BYTES);
    assert.equal(resolved.maxOutboundStreams, DEFAULT_MAX_STREAMS_PER_METHOD);
    assert.equal(resolved.defaultTimeoutMs, undefined);
    assert.equal(resolved.retry.maxAttempts, 3);
    assert.equal(resolved.peers.kind, "static");
    assert.equal(typeof resolved.balance.pick, "function");
  });

  it("turns a default deadline of 0 or less into none, and caps a long one", () => {
    assert.equal(resolve({ defaultTimeoutMs: 0 }).defaultTimeoutMs, undefined);
    assert.equal(resolve({ defaultTimeoutMs: -5 }).defaultTimeoutMs, undefined);
    assert.equal(resolve({ defaultTimeoutMs: 1e12 }).defaultTimeoutMs, 0x7fff_ffff);
  });

  for (const [name, value] of [
    ["readMaxBytes", -1],
    ["readMaxBytes", 0],
    ["writeMaxBytes", 1.5],
    ["maxOutboundStreams", 0],
    ["maxIdleStreams", -1],
    ["idleStreamTimeoutMs", 0],
    ["dialTimeoutMs", -1],
    ["defaultTimeoutMs", Number.NaN],
    ["readMaxBytes", "4MiB"],
  ] as const) {
    it(`refuses ${name}: ${String(value)} with a RangeError naming it`, () => {
      assert.throws(
        () => resolve({ [name]: value }),
        (error) =>
          error instanceof RangeError &&
          error.message.includes(`createLibp2pTransport's ${name} must be`),
      );
    });
  }

  it("refuses what is not a transport's input with a TypeError", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ libp2p: {} }, /libp2p must be a libp2p node/],
      [{ peers: [PEER] }, /exactly one of `peer`, `peers` and `discover`/],
      [{ peer: undefined, peers: [] }, /`peers` must be a non-empty array/],
      [{ peer: "not a peer" }, /neither a multiaddr nor a PeerId/],
      [
        { balance: "fastest" },
        /balance must be one of "pick-first", "round-robin", "least-loaded"/,
      ],
      [{ balance: {} }, /or a BalancePolicy/],
      [{ interceptors: [42] }, /interceptors must be an array of interceptor functions/],
      [{ protocolPrefix: "p2prpc" }, /protocolPrefix must start with "\/"/],
      [{ protocolPrefix: "/p2prpc/" }, /not end with "\/"/],
    ];
    for (const [extra, message] of cases) {
      assert.throws(
        () => resolve(extra),
        (error) => error instanceof TypeError && message.test(error.message),
        JSON.stringify(extra),
      );
    }
  });

  it("refuses a retry option out of range (resolveRetryOptions)", () => {
    assert.throws(() => resolve({ retry: { maxAttempts: 0 } }), RangeError);
  });
});
