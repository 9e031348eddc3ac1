import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, it } from "vitest";
import { type Fixture, spawnFixture } from "../helpers/spawn-fixture.ts";

/** Runs the client fixture to its end; resolves with its output lines. */
async function runClient(args: string[], fixtures: Set<Fixture>): Promise<string[]> {
  const client = spawnFixture("transfer-client.ts", args);
  fixtures.add(client);
  const code = await client.exited();
  assert.equal(code, 0, client.lines.join("\n"));
  return client.lines;
}

describe("a client process restarted with its data directory", () => {
  let dir: string;
  let server: Fixture;
  let serverAddress: string;
  let serverId: string;
  const fixtures = new Set<Fixture>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p2prpc-restart-"));
    server = spawnFixture("transfer-server.ts", [
      "--key",
      join(dir, "server.key"),
      "/ip4/127.0.0.1/tcp/0",
    ]);
    serverAddress = (await server.line(/^LISTEN /)).slice("LISTEN ".length);
    await server.line(/^READY$/);
    serverId = serverAddress.slice(serverAddress.lastIndexOf("/p2p/") + "/p2p/".length);
  });
  afterEach(async () => {
    await Promise.all([...fixtures].map((fixture) => fixture.kill()));
    fixtures.clear();
  });
  afterAll(async () => {
    await server?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it("reaches a server it called before by PeerId alone; a fresh one cannot", {
    timeout: 60_000,
  }, async () => {
    const dataDir = join(dir, "client-data");
    const key = join(dir, "client.key");
    const first = await runClient(
      ["--data-dir", dataDir, "--key", key, "--peer", serverAddress],
      fixtures,
    );
    assert.ok(first.includes("OK"), first.join("\n"));

    const second = await runClient(
      ["--data-dir", dataDir, "--key", key, "--peer", serverId],
      fixtures,
    );
    const known = serverAddress.slice(0, serverAddress.lastIndexOf("/p2p/"));
    assert.ok(
      second.some((line) => line.startsWith("KNOWN before ") && line.includes(known)),
      `the restarted client's peer store held the server's address:\n${second.join("\n")}`,
    );
    assert.ok(second.includes("OK"), second.join("\n"));

    // The control: the same call from a client with an empty data directory
    // has no address to dial.
    const fresh = await runClient(
      ["--data-dir", join(dir, "fresh-data"), "--key", join(dir, "fresh.key"), "--peer", serverId],
      fixtures,
    );
    assert.ok(fresh.includes("ERROR Unavailable"), fresh.join("\n"));
  });
});
