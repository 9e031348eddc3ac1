import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { SystemId } from "../system-catalog.ts";
import type { P2prpcApi } from "./p2prpc.ts";
import type { SystemModule } from "./system-module.ts";

/**
 * Which side of a system a process runs: the harness's server and client
 * processes run one each, `bench:cpu` both (or the client alone with
 * `--server-process`).
 */
export type SystemSide = "server" | "client" | "both";

/**
 * Imports only the system asked for, so each process loads one stack, and
 * one copy of p2prpc: today's (`src/`) or the `--baseline` commit's, never
 * both for a side that needs one. So `p2prpc-tcp` and `p2prpc-tcp-baseline`
 * of the same commit load the same number of modules.
 * `p2prpc-tcp-baseline-client` runs the baseline's client against today's
 * server: its server side loads today's copy, its client side the
 * baseline's, and only `"both"` loads the two. A process that loaded both
 * copies ran the same code with 18–39% less CPU per call than one that
 * loaded one (bench/README.md, "A/A: the same commit against itself").
 */
export async function loadSystem(id: SystemId, side: SystemSide = "both"): Promise<SystemModule> {
  switch (id) {
    case "p2prpc-tcp":
      return (await import("./p2prpc.ts")).p2prpcSystem("tcp", await importToday());
    case "p2prpc-tcp-baseline":
      return (await import("./p2prpc.ts")).p2prpcSystem("tcp", await importBaseline());
    case "p2prpc-tcp-baseline-client": {
      const { p2prpcSystem } = await import("./p2prpc.ts");
      const client = side === "server" ? notLoaded("client") : await importBaseline();
      const server = side === "client" ? notLoaded("server") : await importToday();
      return p2prpcSystem("tcp", client, undefined, server);
    }
    case "p2prpc-tcp-stock":
    case "p2prpc-tcp-fastpath": {
      const { ownLibp2pNode } = await import("./own-libp2p-node.ts");
      const fast = id === "p2prpc-tcp-fastpath";
      return (await import("./p2prpc.ts")).p2prpcSystem(
        "tcp",
        await importToday(),
        (listen, services) => ownLibp2pNode(fast, listen, services),
      );
    }
    case "p2prpc-quic":
      return (await import("./p2prpc.ts")).p2prpcSystem("quic", await importToday());
    case "grpc-js":
      return (await import("./grpc-js.ts")).grpcJsSystem(false);
    case "grpc-js-tls":
      return (await import("./grpc-js.ts")).grpcJsSystem(true);
    case "connect-node":
      return (await import("./connect-node.ts")).connectNodeSystem();
    case "libp2p-new-stream":
      return (await import("./libp2p-raw.ts")).libp2pRawSystem("new-stream");
    case "libp2p-one-stream":
      return (await import("./libp2p-raw.ts")).libp2pRawSystem("one-stream");
    case "libp2p-one-stream-quic":
      return (await import("./libp2p-raw.ts")).libp2pRawSystem("one-stream", "quic");
    case "connect-on-libp2p":
      return (await import("./connect-on-raw-libp2p.ts")).connectOnRawLibp2pSystem();
    case "net":
      return (await import("./node-net.ts")).nodeNetSystem();
  }
}

/** Today's p2prpc, imported now: the system's first call then finds it loaded. */
async function importToday(): Promise<P2prpcApi> {
  return await (await import("./p2prpc.ts")).importTodaysApi();
}

/** The baseline commit's p2prpc, extracted by the orchestrator (see `extractBaseline`). */
async function importBaseline(): Promise<P2prpcApi> {
  const dir = process.env.P2PRPC_BENCH_BASELINE_DIR;
  if (dir === undefined) {
    throw new Error("p2prpc-tcp-baseline and p2prpc-tcp-baseline-client need --baseline=<git ref>");
  }
  return (await import(pathToFileURL(join(dir, "src", "index.ts")).href)) as P2prpcApi;
}

/** Stands for the copy of p2prpc a side this process does not run would use. */
function notLoaded(side: "server" | "client"): P2prpcApi {
  const fail = (): never => {
    throw new Error(`this process loaded no p2prpc for the ${side} side`);
  };
  return { createLibp2pTransport: fail, createRpcNode: fail, rpcServer: fail };
}
