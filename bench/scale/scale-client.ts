// A scale bench client process (started by bench/scale.ts with an IPC
// channel): holds many client peers, each its own libp2p node connected to
// the one server (see ClientPeers), and calls from random ones when asked.
import { ClientPeers } from "./client-peers.ts";
import { processSnapshot } from "./process-snapshot.ts";
import { runScaleProcess } from "./run-scale-process.ts";

let peers: ClientPeers | undefined;

function started(): ClientPeers {
  if (peers === undefined) {
    throw new Error("the scale client was asked before start");
  }
  return peers;
}

runScaleProcess({
  async start(server) {
    if (server === undefined) {
      throw new Error("the scale client was started without a server address");
    }
    peers = new ClientPeers(server);
    return undefined;
  },

  async answer(request) {
    switch (request.kind) {
      case "snapshot":
        return { kind: "snapshot", snapshot: processSnapshot(request.gc) };
      case "held":
        return { kind: "held", held: started().held() };
      case "grow":
        return {
          kind: "grow",
          grow: await started().grow(request.total, request.parallel, request.timeoutMs),
        };
      case "calls":
        return {
          kind: "calls",
          calls: await started().calls(request.count, request.inFlight, request.timeoutMs),
        };
      default:
        throw new Error(`the scale client does not do "${request.kind}"`);
    }
  },
});
