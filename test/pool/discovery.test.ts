import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { afterEach, describe, it } from "vitest";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { createLibp2pTransport, createRpcNode, methodProtocol } from "../../src/index.ts";
import { type ServerSet, startServerSet } from "../helpers/server-set.ts";
import { memoryListen } from "../helpers/start-pair.ts";
import { codeOf, waitFor } from "../helpers/wait-for.ts";

const OPTIONS = { timeoutMs: 10_000 };
const EXCHANGE = methodProtocol(TransferService.method.exchange);

/** Dials `servers` from `client` and resolves once identify told it their protocols. */
async function connectAll(client: Libp2p, servers: readonly Libp2p[]): Promise<void> {
  const identified = new Set<string>();
  client.addEventListener("peer:identify", (event) =>
    identified.add(event.detail.peerId.toString()),
  );
  await Promise.all(
    servers.map((server) =>
      client.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) }),
    ),
  );
  await waitFor(
    () => servers.every((server) => identified.has(server.peerId.toString())),
    "identify of every server",
  );
}

describe("a transport over discovered peers", () => {
  let set: ServerSet | undefined;
  const extra: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all([set?.stop(), ...extra.splice(0).map((node) => node.stop())]);
    set = undefined;
  });

  it("calls the connected peers that serve the method, and no other", async () => {
    set = await startServerSet("memory", 3);
    const bystander = await createRpcNode({ listen: memoryListen() });
    extra.push(bystander);
    const transport = createLibp2pTransport({
      libp2p: set.client,
      discover: true,
      balance: "round-robin",
    });
    const added: string[] = [];
    transport.pool.addEventListener("peer:added", (event) => {
      assert.equal(event.detail.protocol, EXCHANGE);
      added.push(event.detail.peer);
    });
    await connectAll(set.client, [...set.servers.map(({ node }) => node), bystander]);
    const transfer = createClient(TransferService, transport);
    for (let i = 0; i < 30; i++) {
      await transfer.exchange({ data: new Uint8Array([i]) }, OPTIONS);
    }
    assert.deepEqual(
      set.servers.map(({ exchanges }) => exchanges),
      [10, 10, 10],
    );
    assert.deepEqual(added.sort(), set.servers.map(({ node }) => node.peerId.toString()).sort());
  });

  it("follows a peer that goes: the calls move to the others without an error", async () => {
    set = await startServerSet("memory", 3);
    const nodes = set.servers.map(({ node }) => node);
    await connectAll(set.client, nodes);
    const transport = createLibp2pTransport({
      libp2p: set.client,
      discover: true,
      balance: "round-robin",
    });
    const transfer = createClient(TransferService, transport);
    let retried = 0;
    transport.pool.addEventListener("call:retried", () => retried++);
    await (nodes[0] as Libp2p).stop();
    await waitFor(
      () => set?.client.getConnections((nodes[0] as Libp2p).peerId).length === 0,
      "the close",
    );
    for (let i = 0; i < 10; i++) {
      await transfer.exchange({}, OPTIONS);
    }
    assert.equal(set.servers[0]?.exchanges, 0);
    assert.equal(retried, 0, "the peer that went was no longer offered");
    assert.equal((set.servers[1]?.exchanges ?? 0) + (set.servers[2]?.exchanges ?? 0), 10);
  });

  it("with no peer that serves the method fails at once, or waits for one with waitForReady", async () => {
    set = await startServerSet("memory", 1);
    const now = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: set.client, discover: true }),
    );
    assert.equal(await codeOf(now.exchange({}, OPTIONS)), Code.Unavailable);
    const waiting = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: set.client, discover: true, waitForReady: true }),
    );
    const call = waiting.exchange({ data: new Uint8Array(5) }, OPTIONS);
    await connectAll(set.client, [(set.servers[0] as { node: Libp2p }).node]);
    assert.equal((await call).receivedMessages, 1);
    assert.ok(
      (
        await set.client.peerStore.get((set.servers[0] as { node: Libp2p }).node.peerId)
      ).protocols.includes(EXCHANGE),
    );
  });

  it("waitForReady still ends at the call's deadline", async () => {
    set = await startServerSet("memory", 1);
    const waiting = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: set.client, discover: true, waitForReady: true }),
    );
    assert.equal(await codeOf(waiting.exchange({}, { timeoutMs: 200 })), Code.DeadlineExceeded);
  });
});
