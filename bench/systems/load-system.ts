import type { SystemId } from "../system-catalog.ts";
import type { SystemModule } from "./system-module.ts";

/** Imports only the system asked for, so each process loads one stack. */
export async function loadSystem(id: SystemId): Promise<SystemModule> {
  switch (id) {
    case "p2prpc-tcp":
      return (await import("./p2prpc.ts")).p2prpcSystem("tcp");
    case "p2prpc-quic":
      return (await import("./p2prpc.ts")).p2prpcSystem("quic");
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
