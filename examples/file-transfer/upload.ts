// Uploads FILE over one client-streaming call, with a progress bar on a
// terminal, and checks the server's SHA-256 against its own.
//
//   node --conditions=p2prpc-source examples/file-transfer/upload.ts <server multiaddr> FILE
//
// Prints `sha256 <hex>` and `bytes <n>`; exits 1 if the hashes differ.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createLibp2pTransport, createRpcNode } from "p2prpc";
import { FileService } from "../../gen/acme/files/v1/files_pb.ts";

const CHUNK_BYTES = 64 * 1024;

const [peer, file] = process.argv.slice(2);
if (peer === undefined || file === undefined) {
  console.error("usage: upload.ts <server multiaddr> FILE");
  process.exit(2);
}
const size = (await stat(file)).size;
const hash = createHash("sha256");

/** A bar on stderr, only when it is a terminal: piped output stays clean. */
function showProgress(sent: number): void {
  if (!process.stderr.isTTY) {
    return;
  }
  const width = 30;
  const done = size === 0 ? width : Math.round((sent / size) * width);
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  process.stderr.write(
    `\r[${"#".repeat(done)}${" ".repeat(width - done)}] ${mb(sent)}/${mb(size)} MB`,
  );
}

// The generator is pulled only as fast as the call sends, and the read stream
// reads only as fast as the generator is pulled: backpressure from the
// receiver's disk to this disk.
async function* parts() {
  yield {
    part: {
      case: "info" as const,
      value: { name: basename(file as string), sizeBytes: BigInt(size) },
    },
  };
  let sent = 0;
  for await (const chunk of createReadStream(file as string, { highWaterMark: CHUNK_BYTES })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    sent += bytes.byteLength;
    showProgress(sent);
    yield { part: { case: "chunk" as const, value: bytes } };
  }
}

const libp2p = await createRpcNode({ listen: [] });
try {
  const files = createClient(FileService, createLibp2pTransport({ libp2p, peer }));
  const result = await files.upload(parts(), { timeoutMs: 120_000 });
  if (process.stderr.isTTY) {
    process.stderr.write("\n");
  }
  console.log(`sha256 ${result.sha256}`);
  console.log(`bytes ${result.sizeBytes}`);
  const local = hash.digest("hex");
  if (local !== result.sha256) {
    console.error(`hash mismatch: sent ${local}`);
    process.exitCode = 1;
  }
} finally {
  await libp2p.stop();
}
