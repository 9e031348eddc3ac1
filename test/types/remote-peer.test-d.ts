// Type tests (vitest typecheck mode; never executed): what a handler learns
// about its caller. Each `@ts-expect-error` marks a broken variant that must
// not compile.
import type { ContextKey, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Connection, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { describe, expectTypeOf, test } from "vitest";
import type { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import { getRemotePeer, type RemotePeer, remotePeerKey } from "../../src/index.ts";

declare const context: HandlerContext;

describe("getRemotePeer", () => {
  test("takes a handler's context and returns the RemotePeer", () => {
    expectTypeOf(getRemotePeer).toBeCallableWith(context);
    expectTypeOf(getRemotePeer).returns.toEqualTypeOf<RemotePeer>();
    // @ts-expect-error: never undefined; it throws outside a p2prpc call instead
    expectTypeOf(getRemotePeer).returns.toEqualTypeOf<RemotePeer | undefined>();
    // @ts-expect-error: not a context
    expectTypeOf(getRemotePeer).toBeCallableWith({});
  });

  test("its peerId is a libp2p PeerId, and it also has the address and the connection", () => {
    const peer = getRemotePeer(context);
    expectTypeOf(peer.peerId).toEqualTypeOf<PeerId>();
    expectTypeOf(peer.remoteAddr).toEqualTypeOf<Multiaddr>();
    expectTypeOf(peer.connection).toEqualTypeOf<Connection>();
    // @ts-expect-error: a PeerId, not its string form
    expectTypeOf(peer.peerId).toEqualTypeOf<string>();
    // @ts-expect-error: RemotePeer has no such property
    expectTypeOf(peer).toHaveProperty("address");
  });

  test("its fields are read-only", () => {
    const peer = getRemotePeer(context);
    expectTypeOf<RemotePeer>().toHaveProperty("peerId");
    // @ts-expect-error: readonly
    peer.peerId = peer.connection.remotePeer;
  });

  test("works inside a generated service's handler", () => {
    const sayHello: ServiceImpl<typeof GreeterService>["sayHello"] = (req, ctx) => {
      const { peerId } = getRemotePeer(ctx);
      expectTypeOf(peerId).toEqualTypeOf<PeerId>();
      return { message: `hello ${req.name}, you are ${peerId.toString()}` };
    };
    expectTypeOf(sayHello).returns.not.toBeAny();
  });

  test("remotePeerKey holds RemotePeer | undefined", () => {
    expectTypeOf(remotePeerKey).toEqualTypeOf<ContextKey<RemotePeer | undefined>>();
    // @ts-expect-error: absent outside a p2prpc call
    expectTypeOf(remotePeerKey).toEqualTypeOf<ContextKey<RemotePeer>>();
  });
});
