import assert from "node:assert/strict";
import { type Libp2p, peerRoutingSymbol } from "@libp2p/interface";
import { kadDHT, passthroughMapper } from "@libp2p/kad-dht";
import { afterEach, describe, it } from "vitest";
import { lookUpPeersWithoutAddresses } from "../../src/discovery/look-up-peers-without-addresses.ts";
import { createRpcNode } from "../../src/index.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";
import { hideProperties } from "../helpers/hide-properties.ts";

describe("lookUpPeersWithoutAddresses", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  });

  it("falls back to kad-dht as it is, logged once, when the service shows no peer routing", async () => {
    const log = captureWrapperLog();
    const dht = kadDHT({
      protocol: "/p2prpc/kad/1.0.0",
      clientMode: false,
      peerInfoMapper: passthroughMapper,
    });
    const wrapped = lookUpPeersWithoutAddresses((components: Parameters<typeof dht>[0]) =>
      hideProperties(dht(components), [peerRoutingSymbol]),
    );
    const node = await createRpcNode({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      libp2p: { logger: log.logger },
      // kad-dht takes the node's `ping` service as a component, which its types do not show.
      services: { dht: wrapped } as never,
    });
    nodes.push(node);
    assert.equal(log.linesOf("lookUpPeersWithoutAddresses").length, 1);
  });

  it("logs nothing for kad-dht as it is today", async () => {
    const log = captureWrapperLog();
    const node = await createRpcNode({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      libp2p: { logger: log.logger },
      dht: { mode: "server", addresses: "all" },
    });
    nodes.push(node);
    assert.deepEqual(log.linesOf("lookUpPeersWithoutAddresses"), []);
  });
});
