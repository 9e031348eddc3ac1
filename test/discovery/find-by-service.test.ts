import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { afterAll, beforeAll, describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport, serviceCid } from "../../src/index.ts";
import { TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { codeOf } from "../helpers/wait-for.ts";
import { providersUntil, startDhtNode } from "./dht-nodes.ts";

const OPTIONS = { timeoutMs: TEST_CALL_TIMEOUT_MS };

describe("find by service: a client calls any peer that advertises the service", () => {
  const nodes: Libp2p[] = [];
  let client: Libp2p;
  let servers: Libp2p[];

  beforeAll(async () => {
    const bootstrap = await startDhtNode(undefined);
    nodes.push(bootstrap);
    servers = [];
    for (let i = 0; i < 3; i++) {
      servers.push(await startDhtNode(bootstrap, {}, { advertise: true }));
    }
    // A server of the same service that does not advertise: never called.
    nodes.push(...servers, await startDhtNode(bootstrap, {}, {}));
    client = await startDhtNode(bootstrap);
    nodes.push(client);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("finds the three servers that advertise, and balances over them", {
    timeout: 60_000,
  }, async () => {
    const cid = await serviceCid(EchoService);
    // Publication runs in the background of each server's start: wait for all three.
    const found = await providersUntil(client, cid, (peers) => peers.size >= 3);
    assert.deepEqual(found, new Set(servers.map((server) => server.peerId.toString())));

    const transport = createLibp2pTransport({
      libp2p: client,
      discover: "providers",
      balance: "round-robin",
    });
    const echo = createClient(EchoService, transport);
    const served = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const { text } = await echo.unary({ text: `call ${i}` }, OPTIONS);
      served.set(text, (served.get(text) ?? 0) + 1);
    }
    assert.deepEqual(
      [...served.entries()].sort(),
      servers.map((server) => [server.peerId.toString(), 10]).sort(),
    );
    assert.equal(transport.pool.stats().length, 3);
  });

  it("a service nobody advertises fails with Unavailable", async () => {
    const echo = createClient(
      EchoService,
      createLibp2pTransport({
        libp2p: client,
        discover: "providers",
        protocolPrefix: "/nobody",
        retry: false,
      }),
    );
    assert.equal(await codeOf(echo.unary({ text: "anyone?" }, OPTIONS)), Code.Unavailable);
  });
});
