import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { multiaddr } from "@multiformats/multiaddr";
import { afterAll, beforeAll, describe, it } from "vitest";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import { EchoResponseSchema } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport } from "../../src/index.ts";
import { type Pair, startPair, TEST_CALL_TIMEOUT_MS, TRANSPORTS } from "../helpers/start-pair.ts";
import { unreachableAddress } from "../helpers/unreachable-address.ts";
import { codeOf } from "../helpers/wait-for.ts";

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
      // One attempt: QUIC gives up on a silent address after 10 s, and
      // retrying that would outlast the deadline (retries: test/pool/).
      const echo = pair.connect({ peer: multiaddr(await unreachableAddress(kind)), retry: false });
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
