// Runs examples/file-transfer: a server process and an upload process.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { runCli, type ServerProcess, startServer } from "../helpers/run-cli.ts";

const dir = new URL("../../examples/file-transfer/", import.meta.url).pathname;
const node = (file: string, ...args: string[]): string[] => [
  process.execPath,
  "--conditions=p2prpc-source",
  `${dir}${file}`,
  ...args,
];
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

describe("examples/file-transfer", { timeout: 60_000 }, () => {
  let work: string;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("uploads a file to a slow server; the hashes of sent, written and answered bytes agree", async () => {
    work = await mkdtemp(join(tmpdir(), "p2prpc-files-"));
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const bytes = randomBytes(8 * 1024 * 1024 + 123);
    await writeFile(join(work, "data.bin"), bytes);
    server = await startServer(node("server.ts", inbox, "--chunk-delay-ms", "2"));
    const [address] = server.addresses;
    assert.ok(address);
    const upload = await runCli([], {
      command: node("upload.ts", address, join(work, "data.bin")),
      limitMs: 50_000,
    });
    assert.equal(upload.code, 0, upload.stderr);
    assert.equal(upload.stdout, `sha256 ${sha256(bytes)}\nbytes ${bytes.byteLength}\n`);
    assert.equal(upload.stderr, "", "no progress bar when stderr is not a terminal");
    assert.equal(sha256(await readFile(join(inbox, "data.bin"))), sha256(bytes));
  });
});
