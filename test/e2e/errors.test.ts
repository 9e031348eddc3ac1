import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { afterAll, beforeAll, describe, it } from "vitest";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import { EchoResponseSchema } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport } from "../../src/index.ts";
import {
  type Pair,
  startPair,
  TEST_CALL_TIMEOUT_MS,
  TRANSPORTS,
  type TransportKind,
} from "../helpers/start-pair.ts";
import { codeOf } from "../helpers/wait-for.ts";

async function closedPort(kind: "tcp" | "quic"): Promise<number> {
  if (kind === "tcp") {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function unreachableAddress(kind: TransportKind): Promise<string> {
  const peer = peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
  switch (kind) {
    case "memory":
      return `/memory/p2prpc-nobody-${process.pid}/p2p/${peer}`;
    case "tcp":
      return `/ip4/127.0.0.1/tcp/${await closedPort("tcp")}/p2p/${peer}`;
    case "quic":
      return `/ip4/127.0.0.1/udp/${await closedPort("quic")}/quic-v1/p2p/${peer}`;
  }
}

for (const kind of TRANSPORTS) {
  describe(`errors over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind);
    });
    afterAll(async () => {
      await pair.stop();
    });

    /** The one connection between the pair, which every error must leave alone. */
    function connectionId(): string {
      const connections = pair.client.getConnections(pair.server.peerId);
      assert.equal(connections.length, 1, "exactly one connection between the peers");
      return (connections[0] as { id: string }).id;
    }

    async function assertHealthy(before: string): Promise<void> {
      const response = await pair.echo.unary({ text: "healthy" });
      assert.equal(response.text, "healthy");
      assert.equal(connectionId(), before, "the connection survived");
    }

    it("a handler's ConnectError arrives with its code, message, metadata and details", async () => {
      await pair.echo.unary({ text: "warm-up" });
      const id = connectionId();
      let error: ConnectError | undefined;
      try {
        await pair.echo.unary({ text: "nf", failCode: Code.NotFound });
      } catch (reason) {
        error = ConnectError.from(reason);
      }
      assert.ok(error);
      assert.equal(error.code, Code.NotFound);
      assert.equal(error.rawMessage, "failing as asked: nf");
      assert.equal(error.metadata.get("x-fail"), "yes");
      const details = error.findDetails(EchoResponseSchema);
      assert.equal(details.length, 1);
      assert.equal(details[0]?.text, "detail of nf");
      assert.equal(details[0]?.index, 7);
      await assertHealthy(id);
    });

    it("errors end server streams and client streams with their code", async () => {
      const stream = pair.echo.serverStream({ text: "ss", repeat: 3, failCode: Code.Aborted });
      const received: number[] = [];
      const code = await codeOf(
        (async () => {
          for await (const response of stream) {
            received.push(response.index);
          }
        })(),
      );
      assert.equal(code, Code.Aborted);
      assert.deepEqual(received, [0, 1, 2]);
      async function* failing() {
        yield { text: "ok" };
        yield { text: "bad", failCode: Code.FailedPrecondition };
        yield { text: "never read" };
      }
      assert.equal(await codeOf(pair.echo.clientStream(failing())), Code.FailedPrecondition);
    });

    it("any other exception is Internal, with nothing of it leaked", async () => {
      const id = connectionId();
      let error: ConnectError | undefined;
      try {
        await pair.echo.unary({ throwText: "db password is hunter2" });
      } catch (reason) {
        error = ConnectError.from(reason);
      }
      assert.ok(error);
      assert.equal(error.code, Code.Internal);
      assert.doesNotMatch(error.message, /hunter2|Error:|at /);
      assert.equal(error.details.length, 0);
      await assertHealthy(id);
    });

    it("a method of a served service left unimplemented is Unimplemented", async () => {
      const id = connectionId();
      assert.equal(await codeOf(pair.echo.missing({})), Code.Unimplemented);
      await assertHealthy(id);
    });

    it("a method the peer does not serve at all is Unimplemented", async () => {
      const id = connectionId();
      const greeter = createClient(
        GreeterService,
        createLibp2pTransport({
          libp2p: pair.client,
          peer: pair.server.peerId,
          defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
        }),
      );
      assert.equal(await codeOf(greeter.sayHello({ name: "x" })), Code.Unimplemented);
      assert.equal(
        await codeOf(greeter.countdown({ from: 2 })[Symbol.asyncIterator]().next()),
        Code.Unimplemented,
      );
      await assertHealthy(id);
    });

    it("an unreachable peer is Unavailable", async () => {
      const echo = pair.connect({ peer: multiaddr(await unreachableAddress(kind)) });
      assert.equal(
        await codeOf(echo.unary({ text: "anyone?" }, { timeoutMs: 20_000 })),
        Code.Unavailable,
      );
    });

    it("dialing yourself is refused as InvalidArgument", async () => {
      const echo = pair.connect({ peer: pair.client.peerId });
      assert.equal(await codeOf(echo.unary({ text: "me" })), Code.InvalidArgument);
    });
  });
}
