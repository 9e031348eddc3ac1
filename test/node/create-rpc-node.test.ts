import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { identify } from "@libp2p/identify";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { describe, it } from "vitest";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import {
  createRpcNode,
  loadPrivateKey,
  methodProtocol,
  type RpcNodeOptions,
} from "../../src/index.ts";
import { memoryListen } from "../helpers/start-pair.ts";

type RpcNode = Awaited<ReturnType<typeof createRpcNode>>;

/** Two nodes on the in-memory transport, not connected yet. */
async function memoryPair(options: RpcNodeOptions = {}): Promise<{ a: RpcNode; b: RpcNode }> {
  const a = await createRpcNode({ ...options, listen: memoryListen() });
  const b = await createRpcNode({ ...options, listen: memoryListen() });
  return { a, b };
}

/** Resolves with the peer `node` identified next. */
function nextIdentify(node: Libp2p): Promise<PeerId> {
  return new Promise((resolve) => {
    node.addEventListener("peer:identify", (event) => resolve(event.detail.peerId), { once: true });
  });
}

describe("createRpcNode", () => {
  it("keeps its PeerId across restarts through a private-key file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "p2prpc-key-"));
    const keyFile = join(dir, "nested", "node.key");
    try {
      const first = await createRpcNode({ privateKeyFile: keyFile });
      const id = first.peerId.toString();
      await first.stop();
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
      const second = await createRpcNode({ privateKeyFile: keyFile });
      assert.equal(second.peerId.toString(), id);
      await second.stop();
      const [a, b] = await Promise.all([
        loadPrivateKey(join(dir, "race.key")),
        loadPrivateKey(join(dir, "race.key")),
      ]);
      assert.ok(a.equals(b), "concurrent first loads agree on one key");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("listens on loopback TCP and QUIC by default", async () => {
    const node = await createRpcNode();
    try {
      const addrs = node.getMultiaddrs().map(String);
      assert.ok(
        addrs.some((a) => a.startsWith("/ip4/127.0.0.1/tcp/")),
        addrs.join(" "),
      );
      assert.ok(addrs.some((a) => a.startsWith("/ip4/127.0.0.1/udp/") && a.includes("/quic-v1")));
    } finally {
      await node.stop();
    }
  });
});

describe("createRpcNode's dataDir", () => {
  it("keeps the peer store in LevelDB, closed when the node stops and opened again when it starts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "p2prpc-data-"));
    const server = await createRpcNode({ listen: memoryListen() });
    try {
      const first = await createRpcNode({ listen: [], dataDir: dir });
      await first.dial(server.getMultiaddrs());
      await first.stop();
      // A second open of a LevelDB directory in one process fails while the
      // first holds it: this one works only because stop() closed it.
      const second = await createRpcNode({ listen: [], dataDir: dir });
      const known = await second.peerStore.get(server.peerId);
      assert.deepEqual(
        known.addresses.map(({ multiaddr }) => multiaddr.toString()),
        server.getMultiaddrs().map((address) => address.decapsulateCode(0x01a5).toString()),
      );
      await second.stop();
      await second.start();
      assert.ok(await second.peerStore.has(server.peerId), "reopened when started again");
      await second.stop();
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("createRpcNode's identify", () => {
  it("runs once the delay passed, on both sides", { timeout: 10_000 }, async () => {
    const { a, b } = await memoryPair({ identifyDelayMs: 20 });
    try {
      const aIdentified = nextIdentify(a);
      const bIdentified = nextIdentify(b);
      await a.dial(b.getMultiaddrs());
      assert.ok((await aIdentified).equals(b.peerId));
      assert.ok((await bIdentified).equals(a.peerId));
      const known = await a.peerStore.get(b.peerId);
      assert.ok(known.protocols.includes("/ipfs/id/1.0.0"), known.protocols.join(" "));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("stays out of the way of a new connection's first moments", async () => {
    const { a, b } = await memoryPair({ identifyDelayMs: 60_000 });
    let started = 0;
    for (const node of [a, b]) {
      // libp2p's own identify-on-open calls this method too.
      const identifyNow = node.services.identify.identify.bind(node.services.identify);
      node.services.identify.identify = (...args: Parameters<typeof identifyNow>) => {
        started++;
        return identifyNow(...args);
      };
    }
    try {
      await a.dial(b.getMultiaddrs());
      const rtt = await a.services.ping.ping(b.peerId);
      assert.ok(rtt >= 0);
      assert.equal(started, 0, "no identify started on either side");
    } finally {
      // Stopping with identify still pending must neither throw nor keep the process alive.
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("runs at connection open with identifyDelayMs 0, or with an identify of one's own", {
    timeout: 10_000,
  }, async () => {
    for (const options of [
      { identifyDelayMs: 0 },
      { identifyDelayMs: 60_000, services: { identify: identify() } },
    ] as RpcNodeOptions[]) {
      const { a, b } = await memoryPair(options);
      try {
        const identified = nextIdentify(a);
        await a.dial(b.getMultiaddrs());
        assert.ok((await identified).equals(b.peerId));
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    }
  });
});

describe("methodProtocol", () => {
  it("names a method's protocol, with a configurable prefix", () => {
    assert.equal(
      methodProtocol(GreeterService.method.sayHello),
      "/p2prpc/acme.greeter.v1.GreeterService/SayHello/1.0.0",
    );
    assert.equal(
      methodProtocol(GreeterService.method.chat, { protocolPrefix: "/acme-rpc" }),
      "/acme-rpc/acme.greeter.v1.GreeterService/Chat/1.0.0",
    );
  });
});
