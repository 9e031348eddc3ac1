import type { CellConfig, Metrics } from "../ipc-messages.ts";
import { takeSnapshot } from "../ipc-messages.ts";
import { SMALL_PAYLOAD, type WorkloadContext } from "./workload-context.ts";

/** Peers connected at the same time. */
const PARALLEL = 8;

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      await work(items[next++] as T);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

/**
 * Workload g: RSS per idle pooled peer. The client process brings up `peers`
 * peers, each connected to the server with one unary call done, then both
 * processes collect garbage and report RSS; the growth over the same
 * measurement before the peers existed, divided by their number, is the cost
 * per peer. Twice: after a full GC (the headline: what the process holds,
 * the young generation the connections grew included) and after a
 * memory-reducing GC (`live`: about what the peers keep alive). The server side is the headline: what a node pays per connected
 * peer. Client-side libp2p peers are whole nodes (one identity each), so the
 * client figure is an upper bound there. The peers are left open: the
 * orchestrator ends both processes after this workload.
 */
export async function runIdleMemory(context: WorkloadContext, cell: CellConfig): Promise<Metrics> {
  // The memory-reducing GC first: it shrinks the young generation that
  // start-up left, so the full-GC figure after counts all the growth.
  const serverBeforeLive = await context.askServer({
    kind: "snapshot",
    gc: true,
    reduceMemory: true,
  });
  const clientBeforeLive = takeSnapshot(true, true);
  const serverBefore = await context.askServer({ kind: "snapshot", gc: true });
  const clientBefore = takeSnapshot(true);
  const started = performance.now();
  await inParallel(
    Array.from({ length: cell.peers }, (_, index) => index),
    async () => {
      const peer = await context.system.newPeer();
      await peer.connectAndCall(SMALL_PAYLOAD);
    },
  );
  const setupMs = performance.now() - started;
  // Let handshake leftovers (identify, timers) settle before measuring.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const serverAfter = await context.askServer({ kind: "snapshot", gc: true });
  const clientAfter = takeSnapshot(true);
  const serverAfterLive = await context.askServer({
    kind: "snapshot",
    gc: true,
    reduceMemory: true,
  });
  const clientAfterLive = takeSnapshot(true, true);
  return {
    serverKiBPerPeer: (serverAfter.rss - serverBefore.rss) / 1024 / cell.peers,
    clientKiBPerPeer: (clientAfter.rss - clientBefore.rss) / 1024 / cell.peers,
    serverLiveKiBPerPeer: (serverAfterLive.rss - serverBeforeLive.rss) / 1024 / cell.peers,
    clientLiveKiBPerPeer: (clientAfterLive.rss - clientBeforeLive.rss) / 1024 / cell.peers,
    peers: cell.peers,
    connectPerSec: cell.peers / (setupMs / 1000),
  };
}
