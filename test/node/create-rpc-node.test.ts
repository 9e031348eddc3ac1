import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import { createRpcNode, loadPrivateKey, methodProtocol } from "../../src/index.ts";

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
