// A TransferService server for the pool benchmarks:
//   node --conditions=p2prpc-source bench/pool/transfer-server.ts [--delay-ms N]
// Exchange waits N ms before it answers (a slow peer). Prints `LISTEN <addr>`, then `READY`.
import { parseArgs } from "node:util";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { createRpcNode, rpcServer } from "../../src/index.ts";
import { transferImpl } from "../../test/helpers/transfer-service.ts";

const { values } = parseArgs({ options: { "delay-ms": { type: "string", default: "0" } } });
const delayMs = Number(values["delay-ms"]);
const node = await createRpcNode({
  listen: ["/ip4/127.0.0.1/tcp/0"],
  services: {
    rpc: rpcServer({
      routes: (router) =>
        router.service(TransferService, {
          ...transferImpl,
          async exchange(req, ctx) {
            if (delayMs > 0) {
              await new Promise((resolve) => setTimeout(resolve, delayMs));
            }
            return transferImpl.exchange(req, ctx);
          },
        }),
    }),
  },
});
console.log(`LISTEN ${node.getMultiaddrs()[0]}`);
console.log("READY");
process.on("SIGTERM", () => {
  Promise.resolve(node.stop()).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
