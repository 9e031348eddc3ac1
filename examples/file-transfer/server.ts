// Receives files into DIR.
//
//   node --conditions=p2prpc-source examples/file-transfer/server.ts DIR [--chunk-delay-ms N]
//
// Prints `LISTEN <multiaddr>` lines, then `READY`.
import { parseArgs } from "node:util";
import { createRpcNode, rpcServer } from "p2prpc";
import { FileService } from "../../gen/acme/files/v1/files_pb.ts";
import { createFileService } from "./file-service.ts";

const { values, positionals } = parseArgs({
  options: { "chunk-delay-ms": { type: "string" } },
  allowPositionals: true,
});
const [dir] = positionals;
if (dir === undefined) {
  console.error("usage: server.ts DIR [--chunk-delay-ms N]");
  process.exit(2);
}
const service = createFileService({ dir, chunkDelayMs: Number(values["chunk-delay-ms"] ?? 0) });
const node = await createRpcNode({
  listen: ["/ip4/127.0.0.1/tcp/0"],
  services: { rpc: rpcServer({ routes: (router) => router.service(FileService, service) }) },
});
for (const address of node.getMultiaddrs()) {
  console.log(`LISTEN ${address}`);
}
console.log("READY");
process.once("SIGTERM", () => void node.stop());
process.once("SIGINT", () => void node.stop());
