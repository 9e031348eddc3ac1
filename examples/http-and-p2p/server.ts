// Serves the same routes over HTTP/2 (connect-node: Connect, gRPC and
// gRPC-Web protocols) and over libp2p (p2prpc), in one process.
//
//   node --conditions=p2prpc-source examples/http-and-p2p/server.ts
//
// Prints `HTTP <url>`, `LISTEN <multiaddr>` lines, then `READY`.
import { once } from "node:events";
import { createServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createRpcNode, rpcServer } from "p2prpc";
import { routes } from "./routes.ts";

const http = createServer(connectNodeAdapter({ routes })).listen(0, "127.0.0.1");
await once(http, "listening");
const node = await createRpcNode({
  listen: ["/ip4/127.0.0.1/tcp/0"],
  services: { rpc: rpcServer({ routes }) },
});

console.log(`HTTP http://127.0.0.1:${(http.address() as AddressInfo).port}`);
for (const address of node.getMultiaddrs()) {
  console.log(`LISTEN ${address}`);
}
console.log("READY");
const stop = (): void => {
  http.close();
  void node.stop();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
