import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, it } from "vitest";

const root = new URL("..", import.meta.url).pathname;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe("gen/", () => {
  it("is exactly what `buf generate` makes from proto/", { timeout: 120_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), "p2prpc-gen-"));
    try {
      const bin = join(root, "node_modules", ".bin");
      await promisify(execFile)(join(bin, "buf"), ["generate", "--output", out], {
        cwd: root,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
      });
      const fresh = join(out, "gen");
      const committed = join(root, "gen");
      const files = await listFiles(committed);
      assert.deepEqual(await listFiles(fresh), files, "the same files");
      for (const file of files) {
        const [want, have] = await Promise.all([
          readFile(join(fresh, file), "utf8"),
          readFile(join(committed, file), "utf8"),
        ]);
        assert.equal(have, want, `gen/${file} differs from buf generate: run npm run generate`);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
