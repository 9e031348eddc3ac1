// Type tests (vitest typecheck mode; never executed): the options objects
// reject keys they do not know and require the keys they need. Unknown keys
// are caught by TypeScript's excess-property check, which applies to object
// literals written where the options type is expected (how options are
// written) - so these call the factories directly: `toBeCallableWith` infers
// its arguments generically and would let extra keys through. Each
// `@ts-expect-error` marks a broken variant that must not compile.
import type { ConnectRouter } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { describe, expectTypeOf, test } from "vitest";
import {
  createLibp2pTransport,
  type Libp2pTransportOptions,
  type RpcServerInit,
  rpcServer,
} from "../../src/index.ts";

declare const libp2p: Libp2p;
const peer = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
const routes = (_router: ConnectRouter): void => {};

describe("Libp2pTransportOptions", () => {
  test("takes the documented options", () => {
    expectTypeOf(createLibp2pTransport).toBeCallableWith({
      libp2p,
      peer,
      defaultTimeoutMs: 30_000,
      maxIdleStreams: 0,
      idleStreamTimeoutMs: 1000,
      maxOutboundStreams: 8,
      readMaxBytes: 1024,
      writeMaxBytes: 1024,
      protocolPrefix: "/p2prpc",
      interceptors: [],
    });
    expectTypeOf<Libp2pTransportOptions["defaultTimeoutMs"]>().toEqualTypeOf<number | undefined>();
  });

  test("rejects unknown keys", () => {
    createLibp2pTransport({ libp2p, peer, defaultTimeoutMs: 1000 });
    // @ts-expect-error: `timeoutMs` is a call option; the transport's is `defaultTimeoutMs`
    createLibp2pTransport({ libp2p, peer, timeoutMs: 1000 });
    // @ts-expect-error: a misspelt option
    createLibp2pTransport({ libp2p, peer, maxIdleStream: 1 });
    const options: Libp2pTransportOptions = { libp2p, peer };
    // @ts-expect-error: an unknown key in an annotated literal
    const unknown: Libp2pTransportOptions = { libp2p, peer, retries: 3 };
    expectTypeOf([options, unknown]).toBeArray();
  });

  test("requires the node and the peer", () => {
    // @ts-expect-error: no peer
    expectTypeOf(createLibp2pTransport).toBeCallableWith({ libp2p });
    // @ts-expect-error: no node to dial from
    expectTypeOf(createLibp2pTransport).toBeCallableWith({ peer });
  });
});

describe("RpcServerInit", () => {
  test("takes the documented options", () => {
    expectTypeOf(rpcServer).toBeCallableWith({
      routes,
      interceptors: [],
      readMaxBytes: 1024,
      writeMaxBytes: 1024,
      maxTimeoutMs: 60_000,
      requestGate: () => {},
      protocolPrefix: "/p2prpc",
      maxInboundStreams: 8,
      maxOutboundStreams: 8,
    });
  });

  test("rejects unknown keys", () => {
    rpcServer({ routes, maxTimeoutMs: 1000 });
    // @ts-expect-error: the server's option is maxTimeoutMs
    rpcServer({ routes, defaultTimeoutMs: 1000 });
    // @ts-expect-error: a misspelt option
    rpcServer({ routes, maxInboundStream: 8 });
    const init: RpcServerInit = { routes };
    // @ts-expect-error: an unknown key in an annotated literal
    const unknown: RpcServerInit = { routes, services: [] };
    expectTypeOf([init, unknown]).toBeArray();
  });

  test("requires routes", () => {
    // @ts-expect-error: nothing to serve
    expectTypeOf(rpcServer).toBeCallableWith({});
  });
});
