import assert from "node:assert/strict";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import type { Connection, Libp2p } from "@libp2p/interface";
import { afterAll, beforeAll, describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport, createRpcNode, getRemotePeer, rpcServer } from "../../src/index.ts";
import { TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { codeOf } from "../helpers/wait-for.ts";

const OPTIONS = { timeoutMs: TEST_CALL_TIMEOUT_MS };
const LOOPBACK = ["/ip4/127.0.0.1/tcp/0"];

/** What the server saw of the connection a call came on. */
function pathOf(connection: Connection): string {
  return `${connection.limits === undefined ? "direct" : "limited"} ${connection.remoteAddr.toString()}`;
}

/** A server reachable through `relay`, whose replies say which connection carried each call. */
async function relayedServer(
  relay: Libp2p,
  limitedConnections?: boolean | ((method: DescMethod) => boolean),
): Promise<{ node: Libp2p; circuit: string }> {
  const node = await createRpcNode({
    listen: LOOPBACK,
    relay: { relays: [String(relay.getMultiaddrs()[0])], holePunching: false },
    services: {
      rpc: rpcServer({
        routes: (router) =>
          router.service(EchoService, {
            unary: (_req, ctx) => ({ text: pathOf(getRemotePeer(ctx).connection) }),
            async *serverStream(_req, ctx) {
              yield { text: pathOf(getRemotePeer(ctx).connection) };
            },
          }),
        ...(limitedConnections === undefined ? {} : { limitedConnections }),
      }),
    },
  });
  // The reservation on the relay holds once the node announces a /p2p-circuit address.
  const circuit = await new Promise<string>((resolve) => {
    const check = (): void => {
      const found = node
        .getMultiaddrs()
        .map(String)
        .find((address) => address.includes("/p2p-circuit"));
      if (found !== undefined) {
        node.removeEventListener("self:peer:update", check);
        resolve(found);
      }
    };
    node.addEventListener("self:peer:update", check);
    check();
  });
  return { node, circuit };
}

async function firstOf(stream: AsyncIterable<{ text: string }>): Promise<string> {
  for await (const { text } of stream) {
    return text;
  }
  throw new Error("no response");
}

describe("limited connections: which methods run over a circuit relay", () => {
  const nodes: Libp2p[] = [];
  let relay: Libp2p;
  let client: Libp2p;

  beforeAll(async () => {
    relay = await createRpcNode({ listen: LOOPBACK, relay: { server: true, holePunching: false } });
    client = await createRpcNode({ listen: LOOPBACK, relay: { holePunching: false } });
    nodes.push(relay, client);
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  /** An Echo client of `circuit`, through the relay only. */
  function echoThrough(circuit: string) {
    return createClient(
      EchoService,
      createLibp2pTransport({ libp2p: client, peer: circuit, retry: false }),
    );
  }

  it("by default: unary calls run on the relayed connection, streaming ones fail with FailedPrecondition", async () => {
    const server = await relayedServer(relay);
    nodes.push(server.node);
    const echo = echoThrough(server.circuit);
    const { text } = await echo.unary({ text: "a" }, OPTIONS);
    assert.match(text, /^limited .*\/p2p-circuit/);
    assert.equal(
      await codeOf(firstOf(echo.serverStream({ text: "b" }, OPTIONS))),
      Code.FailedPrecondition,
    );
    // The refusal ends that call only: the connection still serves unary calls.
    assert.match((await echo.unary({ text: "c" }, OPTIONS)).text, /^limited /);
  });

  it("limitedConnections: false refuses every method there", async () => {
    const server = await relayedServer(relay, false);
    nodes.push(server.node);
    const echo = echoThrough(server.circuit);
    assert.equal(await codeOf(echo.unary({ text: "a" }, OPTIONS)), Code.FailedPrecondition);
  });

  it("limitedConnections as a function chooses per method", async () => {
    const server = await relayedServer(relay, (method) => method.name === "ServerStream");
    nodes.push(server.node);
    const echo = echoThrough(server.circuit);
    assert.match(
      await firstOf(echo.serverStream({ text: "a" }, OPTIONS)),
      /^limited .*\/p2p-circuit/,
    );
    assert.equal(await codeOf(echo.unary({ text: "b" }, OPTIONS)), Code.FailedPrecondition);
  });

  it("on a direct connection every method runs", async () => {
    const server = await relayedServer(relay, false);
    nodes.push(server.node);
    const direct = await createRpcNode({ listen: LOOPBACK });
    nodes.push(direct);
    const address = server.node.getMultiaddrs().find((a) => !a.toString().includes("/p2p-circuit"));
    assert.ok(address !== undefined);
    const echo = createClient(
      EchoService,
      createLibp2pTransport({ libp2p: direct, peer: address }),
    );
    assert.match((await echo.unary({ text: "a" }, OPTIONS)).text, /^direct /);
    assert.match(await firstOf(echo.serverStream({ text: "b" }, OPTIONS)), /^direct /);
  });
});
