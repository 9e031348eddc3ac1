// The scale bench's server process (started by bench/scale.ts with an IPC
// channel): one createRpcNode serving BenchService on 127.0.0.1 over TCP, as
// the harness's p2prpc TCP server does (bench/systems/p2prpc.ts: the same
// service, the same connection-manager limits for many peers). It is built
// here rather than through that system module because the scale bench needs
// the node itself, to count its connections.
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import type { Libp2p } from "@libp2p/interface";
import { BenchService } from "../../gen/p2prpc/bench/v1/bench_pb.ts";
import { createRpcNode, rpcServer } from "../../src/index.ts";
import { benchServiceImpl } from "../systems/bench-service-impl.ts";
import { libp2pServerInfo } from "../systems/libp2p-server-info.ts";
import { MANY_PEERS_CONNECTION_MANAGER } from "../systems/many-peers.ts";
import { processSnapshot } from "./process-snapshot.ts";
import { runScaleProcess } from "./run-scale-process.ts";

/** Sampling interval of `--profile-idle`, µs: coarse, an idle process has few samples to take. */
const PROFILE_INTERVAL_MICROS = 500;

let node: Libp2p | undefined;
let profiler: Session | undefined;

runScaleProcess({
  async start() {
    node = await createRpcNode({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      services: {
        rpc: rpcServer({
          // No held streams here (workload h's gate): release at once.
          routes: (router) =>
            router.service(
              BenchService,
              benchServiceImpl(async () => {}),
            ),
        }),
      },
      libp2p: { connectionManager: MANY_PEERS_CONNECTION_MANAGER },
    });
    return libp2pServerInfo(node, "scale").address;
  },

  async answer(request) {
    switch (request.kind) {
      case "snapshot":
        return { kind: "snapshot", snapshot: processSnapshot(request.gc) };
      case "held":
        return { kind: "held", held: node?.getConnections().length ?? 0 };
      case "profile-start":
        profiler = new Session();
        profiler.connect();
        await profiler.post("Profiler.enable");
        await profiler.post("Profiler.setSamplingInterval", { interval: PROFILE_INTERVAL_MICROS });
        await profiler.post("Profiler.start");
        return { kind: "profile-start" };
      case "profile-stop": {
        if (profiler === undefined) {
          throw new Error("profile-stop without profile-start");
        }
        const { profile } = await profiler.post("Profiler.stop");
        profiler.disconnect();
        profiler = undefined;
        await writeFile(request.file, JSON.stringify(profile));
        return { kind: "profile-stop" };
      }
      default:
        throw new Error(`the scale server does not do "${request.kind}"`);
    }
  },
});
