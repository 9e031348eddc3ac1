import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { SystemId } from "../system-catalog.ts";
import type { P2prpcApi } from "./p2prpc.ts";
import type { SystemModule } from "./system-module.ts";

/**
 * Imports only the system asked for, so each process loads one stack: one
 * copy of p2prpc, today's or the baseline's, never both, so that `p2prpc-tcp`
 * and `p2prpc-tcp-baseline` of the same commit load the same modules
 * (`p2prpc-tcp-baseline-client` alone loads both: its client is the
 * baseline's, its server today's). A process that also loaded today's copy
 * beside the baseline's measured 8–35% less CPU per call for the same code
 * (bench/README.md, "A/A: the same commit against itself").
 */
export async function loadSystem(id: SystemId): Promise<SystemModule> {
  switch (id) {
    case "p2prpc-tcp":
      return (await import("./p2prpc.ts")).p2prpcSystem("tcp", await importToday());
    case "p2prpc-tcp-baseline":
      return (await import("./p2prpc.ts")).p2prpcSystem("tcp", await importBaseline());
    case "p2prpc-tcp-baseline-client": {
      const { p2prpcSystem } = await import("./p2prpc.ts");
      return p2prpcSystem("tcp", await importBaseline(), undefined, await importToday());
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
    case "connect-on-libp2p":
      return (await import("./connect-on-raw-libp2p.ts")).connectOnRawLibp2pSystem();
    case "net":
      return (await import("./node-net.ts")).nodeNetSystem();
  }
}

/** Today's p2prpc, the `src/` of this checkout. */
async function importToday(): Promise<P2prpcApi> {
  return await import("../../src/index.ts");
}

/** The baseline commit's p2prpc, extracted by the orchestrator (see `extractBaseline`). */
async function importBaseline(): Promise<P2prpcApi> {
  const dir = process.env.P2PRPC_BENCH_BASELINE_DIR;
  if (dir === undefined) {
    throw new Error("p2prpc-tcp-baseline and p2prpc-tcp-baseline-client need --baseline=<git ref>");
  }
  return (await import(pathToFileURL(join(dir, "src", "index.ts")).href)) as P2prpcApi;
}
