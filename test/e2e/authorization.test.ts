import assert from "node:assert/strict";
import { type Client, Code, createClient } from "@connectrpc/connect";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { afterEach, describe, it } from "vitest";
import { rawFrame, requestHeader, requestMessage } from "../../conformance/frames.ts";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import {
  createLibp2pTransport,
  createRpcNode,
  methodProtocol,
  type RemotePeer,
  type RpcServerInit,
  rpcServer,
} from "../../src/index.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { createEchoProbe, echoImpl } from "../helpers/echo-service.ts";
import { RawStream } from "../helpers/raw-call.ts";
import { memoryListen, TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { codeOf } from "../helpers/wait-for.ts";

const OPTIONS = { timeoutMs: TEST_CALL_TIMEOUT_MS };

/** A server of EchoService counting the handler runs, and two clients with keys of their own. */
interface Setup {
  readonly server: Libp2p;
  readonly alice: Libp2p;
  readonly mallory: Libp2p;
  /** Unary handler runs, by the caller the server authenticated. */
  readonly ran: string[];
  client(node: Libp2p): Client<typeof EchoService>;
  stop(): Promise<void>;
}

async function start(init: (alice: PeerId) => Partial<RpcServerInit>): Promise<Setup> {
  // Real Ed25519 keys, generated here: each client proves its own in Noise.
  const [aliceKey, malloryKey] = await Promise.all([
    generateKeyPair("Ed25519"),
    generateKeyPair("Ed25519"),
  ]);
  const alice = await createRpcNode({ listen: memoryListen(), privateKey: aliceKey });
  const mallory = await createRpcNode({ listen: memoryListen(), privateKey: malloryKey });
  const ran: string[] = [];
  const impl = echoImpl(createEchoProbe());
  const server = await createRpcNode({
    listen: memoryListen(),
    services: {
      rpc: rpcServer({
        routes: (router) =>
          router.service(EchoService, {
            ...impl,
            unary(req, ctx) {
              ran.push(req.text);
              return impl.unary?.(req, ctx) as never;
            },
          }),
        ...init(alice.peerId),
      }),
    },
  });
  return {
    server,
    alice,
    mallory,
    ran,
    client: (node) =>
      createClient(
        EchoService,
        createLibp2pTransport({ libp2p: node, peer: server.getMultiaddrs(), retry: false }),
      ),
    stop: () => Promise.all([server, alice, mallory].map((node) => node.stop())).then(() => {}),
  };
}

describe("authorization by key", () => {
  let setup: Setup | undefined;
  afterEach(async () => {
    await setup?.stop();
    setup = undefined;
  });

  it("allowedPeers admits the listed key and refuses another with PermissionDenied, before the handler", async () => {
    setup = await start((alice) => ({ allowedPeers: [alice] }));
    const { alice, mallory, ran } = setup;
    const answer = await setup.client(alice).unary({ text: "alice" }, OPTIONS);
    assert.equal(answer.caller, alice.peerId.toString());
    assert.equal(
      await codeOf(setup.client(mallory).unary({ text: "mallory" }, OPTIONS)),
      Code.PermissionDenied,
    );
    // Every kind of call is refused the same way.
    const stream = setup.client(mallory).serverStream({ text: "s", repeat: 3 }, OPTIONS);
    assert.equal(
      await codeOf(
        (async () => {
          for await (const _ of stream) {
            // no message may come
          }
        })(),
      ),
      Code.PermissionDenied,
    );
    assert.deepEqual(ran, ["alice"], "mallory's handler never ran");
    // The refused peer's connection and streams are fine: alice is unaffected, and
    // mallory's stream was drained back to IDLE (its next call on it is refused again).
    assert.equal(
      await codeOf(setup.client(mallory).unary({ text: "again" }, OPTIONS)),
      Code.PermissionDenied,
    );
    assert.equal((await setup.client(alice).unary({ text: "alice 2" }, OPTIONS)).text, "alice 2");
  });

  it("authorizePeer decides per call from the authenticated peer, and may change its mind", async () => {
    const admitted = new Set<string>();
    const seen: RemotePeer[] = [];
    setup = await start(() => ({
      authorizePeer: async (peer, method) => {
        seen.push(peer);
        assert.equal(method.name, "Unary");
        return admitted.has(peer.peerId.toString());
      },
    }));
    const { alice, mallory } = setup;
    admitted.add(alice.peerId.toString());
    await setup.client(alice).unary({ text: "a1" }, OPTIONS);
    assert.equal(
      await codeOf(setup.client(mallory).unary({ text: "m1" }, OPTIONS)),
      Code.PermissionDenied,
    );
    admitted.delete(alice.peerId.toString());
    admitted.add(mallory.peerId.toString());
    assert.equal(
      await codeOf(setup.client(alice).unary({ text: "a2" }, OPTIONS)),
      Code.PermissionDenied,
    );
    await setup.client(mallory).unary({ text: "m2" }, OPTIONS);
    assert.deepEqual(setup.ran, ["a1", "m2"]);
    assert.deepEqual(
      seen.map(({ peerId }) => peerId.toString()),
      [alice, mallory, alice, mallory].map((node) => node.peerId.toString()),
    );
    assert.ok(seen.every(({ peerId, connection }) => peerId.equals(connection.remotePeer)));
  });

  it("a header naming another peer changes nothing: the caller is the connection's peer", async () => {
    const claimed: (string | null)[] = [];
    setup = await start((alice) => ({
      authorizePeer: (peer) => peer.peerId.equals(alice),
      interceptors: [
        (next) => async (req) => {
          claimed.push(req.header.get("x-peer-id"));
          return next(req);
        },
      ],
    }));
    const { alice, mallory } = setup;
    const forged = {
      ...OPTIONS,
      headers: { "x-peer-id": alice.peerId.toString(), "x-remote-peer": alice.peerId.toString() },
    };
    assert.equal(
      await codeOf(setup.client(mallory).unary({ text: "forged" }, forged)),
      Code.PermissionDenied,
    );
    // Alice's own call with mallory's id in its headers is still alice's.
    const answer = await setup
      .client(alice)
      .unary({ text: "a" }, { ...OPTIONS, headers: { "x-peer-id": mallory.peerId.toString() } });
    assert.equal(answer.caller, alice.peerId.toString());
    assert.deepEqual(setup.ran, ["a"]);
    assert.deepEqual(
      claimed,
      [mallory.peerId.toString()],
      "the refused call reached no interceptor",
    );
  });

  it("refuses before the request is decoded: a bad header or message still gets PermissionDenied", async () => {
    setup = await start((alice) => ({ allowedPeers: [alice.toString()] }));
    const { mallory, server } = setup;
    const protocol = methodProtocol(EchoService.method.unary);
    const raw = await RawStream.open(mallory, server.getMultiaddrs(), protocol);
    // An upper-case metadata key (InvalidArgument if decoded) and a MESSAGE that
    // is no EchoRequest (InvalidArgument if decoded), then a second call.
    raw.send(
      requestHeader({ timeoutMs: 5000, metadata: [["X-Upper", "v"]] }),
      rawFrame(FrameType.Message, Uint8Array.of(0xff, 0xff, 0xff)),
      rawFrame(FrameType.EndOfInput),
    );
    const first = await raw.readTrailer();
    assert.equal(first.trailer.code, Code.PermissionDenied);
    raw.send(
      requestHeader({ timeoutMs: 5000 }),
      requestMessage({}),
      rawFrame(FrameType.EndOfInput),
    );
    const second = await raw.readTrailer();
    assert.equal(second.trailer.code, Code.PermissionDenied, "the stream went back to IDLE");
    await raw.closeWrite();
    assert.deepEqual(setup.ran, []);
  });
});
