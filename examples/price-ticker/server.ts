// Publishes a price every --interval-ms (default 20).
//
//   node --conditions=p2prpc-source examples/price-ticker/server.ts [--interval-ms N]
//
// Prints `LISTEN <multiaddr>` lines, then `READY`.
import { parseArgs } from "node:util";
import { createRpcNode, rpcServer } from "p2prpc";
import { TickerService } from "../../gen/acme/ticker/v1/ticker_pb.ts";
import { createTicker } from "./ticker-service.ts";

const { values } = parseArgs({ options: { "interval-ms": { type: "string", default: "20" } } });
const ticker = createTicker(Number(values["interval-ms"]));
const node = await createRpcNode({
  listen: ["/ip4/127.0.0.1/tcp/0"],
  services: {
    rpc: rpcServer({ routes: (router) => router.service(TickerService, ticker.service) }),
  },
});
for (const address of node.getMultiaddrs()) {
  console.log(`LISTEN ${address}`);
}
console.log("READY");
const stop = (): void => {
  ticker.stop();
  void node.stop();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
