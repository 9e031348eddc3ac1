import assert from "node:assert/strict";
import type { Libp2p } from "@libp2p/interface";
import { MemoryDatastore } from "datastore-core";
import { afterAll, describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { type RpcNodeDhtOptions, type RpcServer, serviceCid } from "../../src/index.ts";
import { providerRecordTimes, providersOf, providersUntil, startDhtNode } from "./dht-nodes.ts";

/**
 * Provider records valid for 2 s on every node, checked every 250 ms: the
 * server publishes its record again once it expires within 1 s (half the
 * validity), the others drop records older than 2 s. Bounds below are loose
 * (the machine is shared): several validities.
 */
const VALIDITY_MS = 2_000;
const SHORT_LIVED: RpcNodeDhtOptions = {
  providerValidityMs: VALIDITY_MS,
  providerRepublishIntervalMs: 250,
};

/** Resolves once `check()` holds, asking every 100 ms; fails after `limitMs`. */
async function until(check: () => Promise<boolean>, what: string, limitMs: number): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > limitMs) {
      throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("provider records: refreshed while the server runs, gone after it stops", () => {
  const nodes: Libp2p[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("republishes a running server's record, and drops a stopped server's at expiry", {
    timeout: 60_000,
  }, async () => {
    // The two nodes that store the record keep it in a datastore the test reads.
    const stores = [new MemoryDatastore(), new MemoryDatastore()];
    const bootstrap = await startDhtNode(undefined, SHORT_LIVED, undefined, stores[0]);
    nodes.push(bootstrap);
    const server = await startDhtNode(bootstrap, SHORT_LIVED, { advertise: true });
    nodes.push(server);
    const client = await startDhtNode(bootstrap, SHORT_LIVED, undefined, stores[1]);
    nodes.push(client);
    const id = server.peerId.toString();
    const cid = await serviceCid(EchoService);
    await providersUntil(client, cid, (found) => found.has(id));
    const stored = async (): Promise<number[]> =>
      (await Promise.all(stores.map((store) => providerRecordTimes(store, server.peerId)))).flat();
    const [first] = await stored();
    assert.ok(first !== undefined, "a node stores the server's record");

    // Refreshed: a newer record arrives, and lookups find the server for
    // three validities (a record not published again is dropped after one).
    await until(
      async () => (await stored()).some((time) => time > first),
      "a republished record",
      10 * VALIDITY_MS,
    );
    const since = Date.now();
    while (Date.now() - since < 3 * VALIDITY_MS) {
      assert.ok((await providersOf(client, cid)).has(id), `found after ${Date.now() - since} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // Expired: once the server stopped, the nodes that store its record drop it.
    await server.stop();
    await until(
      async () => (await stored()).length === 0,
      "the records to expire",
      6 * VALIDITY_MS,
    );
    assert.equal((await providersOf(client, cid)).has(id), false);
  });

  it("a server whose first publication still waits for DHT peers stops without waiting for it", async () => {
    // No bootstrap: kad-dht holds the publication back until it has a peer.
    const lonely = await startDhtNode(undefined, SHORT_LIVED, { advertise: true });
    nodes.push(lonely);
    const started = Date.now();
    // The server alone, the DHT still running (a whole node's stop would end the DHT's queries too).
    await (lonely.services as unknown as { rpc: RpcServer }).rpc.stop();
    // Loose bound: a stop that waited for the publication would never end (the test's timeout).
    assert.ok(Date.now() - started < 10_000);
  });
});
