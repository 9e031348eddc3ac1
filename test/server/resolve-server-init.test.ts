import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { type RpcServerInit, rpcServer } from "../../src/index.ts";
import { resolveServerInit } from "../../src/server/resolve-server-init.ts";

const routes: RpcServerInit["routes"] = (router) => router.service(EchoService, {});

/** Options a caller might pass, whatever their types say. */
const resolve = (extra: Record<string, unknown>) =>
  resolveServerInit({ routes, ...extra } as RpcServerInit);

describe("rpcServer's options, checked once", () => {
  it("fills every number", () => {
    const resolved = resolve({});
    assert.equal(resolved.readMaxBytes, 4 * 1024 * 1024);
    assert.equal(resolved.maxInboundStreams, 1024);
    assert.equal(resolved.headerTimeoutMs, 10_000);
    assert.equal(resolved.shutdownGraceMs, 5000);
  });

  for (const [name, value] of [
    ["readMaxBytes", 0],
    ["writeMaxBytes", -1],
    ["maxTimeoutMs", 0],
    ["maxInboundStreams", 1.5],
    ["maxOutboundStreams", Number.NaN],
    ["maxStreamsPerPeer", 0],
    ["headerTimeoutMs", -1],
    ["shutdownGraceMs", "5s"],
  ] as const) {
    it(`refuses ${name}: ${String(value)}, when rpcServer() is called`, () => {
      assert.throws(
        () => rpcServer({ routes, [name]: value } as unknown as RpcServerInit),
        (error) =>
          error instanceof RangeError && error.message.includes(`rpcServer's ${name} must be`),
      );
    });
  }

  it("refuses what is not a server's input with a TypeError", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ routes: undefined }, /needs \{ routes/],
      [{ interceptors: ["log"] }, /interceptors must be an array of interceptor functions/],
      [{ limitedConnections: "unary" }, /limitedConnections must be true, false or a function/],
      [{ protocolPrefix: "rpc" }, /protocolPrefix must start with "\/"/],
    ];
    for (const [extra, message] of cases) {
      assert.throws(
        () => resolve(extra),
        (error) => error instanceof TypeError && message.test(error.message),
        JSON.stringify(extra),
      );
    }
  });
});
