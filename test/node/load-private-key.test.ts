import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { loadPrivateKey } from "../../src/node/load-private-key.ts";

describe("loadPrivateKey", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p2prpc-key-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates an Ed25519 key, and its directory, readable by its owner only", async () => {
    const path = join(dir, "new", "nested", "node.key");
    const key = await loadPrivateKey(path);
    assert.equal(key.type, "Ed25519");
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it("reads the same key back, so the PeerId survives a restart", async () => {
    const path = join(dir, "restart.key");
    const first = await loadPrivateKey(path);
    const second = await loadPrivateKey(path);
    assert.ok(first.equals(second));
  });

  it("gives two loaders racing to create the file the same key", async () => {
    const path = join(dir, "race.key");
    const keys = await Promise.all([loadPrivateKey(path), loadPrivateKey(path)]);
    assert.ok(keys[0].equals(keys[1]));
  });

  it("fails when the path cannot be read for another reason than being absent", async () => {
    const path = join(dir, "a-directory");
    await mkdir(path);
    await assert.rejects(loadPrivateKey(path), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, "EISDIR");
      return true;
    });
  });
});
