// Serves GreeterService on a libp2p node.
//
//   node --conditions=p2prpc-source examples/greeter/server.ts [--key FILE] [MULTIADDR...]
//
// Listen addresses come from the arguments, else from P2PRPC_LISTEN
// (comma-separated), else loopback TCP and QUIC on free ports. The node's
// identity is kept in --key / P2PRPC_KEY_FILE (default
// .p2prpc-demo/server.key), created on first run, so the PeerId, and with it
// the /p2p/ part of every address, survives restarts.
//
// Output is machine-readable: one `PEER <peer id>` line, one
// `LISTEN <multiaddr>` line per address, then `READY`.
import { parseArgs } from "node:util";
import { createRpcNode, DEFAULT_LISTEN_ADDRESSES, rpcServer } from "p2prpc";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import { greeterImpl } from "./service.ts";

const { values, positionals } = parseArgs({
  options: { key: { type: "string" } },
  allowPositionals: true,
});

const envListen = (process.env.P2PRPC_LISTEN ?? "")
  .split(",")
  .map((address) => address.trim())
  .filter((address) => address !== "");
const listen =
  positionals.length > 0
    ? positionals
    : envListen.length > 0
      ? envListen
      : [...DEFAULT_LISTEN_ADDRESSES];
const privateKeyFile = values.key ?? process.env.P2PRPC_KEY_FILE ?? ".p2prpc-demo/server.key";

const node = await createRpcNode({
  listen,
  privateKeyFile,
  services: {
    rpc: rpcServer({
      routes: (router) => router.service(GreeterService, greeterImpl),
    }),
  },
});

console.log(`PEER ${node.peerId}`);
for (const address of node.getMultiaddrs()) {
  console.log(`LISTEN ${address}`);
}
console.log("READY");

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    return;
  }
  stopping = true;
  console.error(`${signal}: stopping`);
  await node.stop();
  console.error("stopped");
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("error while stopping:", error);
        process.exit(1);
      },
    );
  });
}
