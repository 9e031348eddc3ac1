import type { CellConfig, Metrics } from "../ipc-messages.ts";
import { takeSnapshot } from "../ipc-messages.ts";
import { measureCpu } from "./measure-cpu.ts";
import type { WorkloadContext } from "./workload-context.ts";

const MIB = 1024 * 1024;

/**
 * Workload h: `streams` server-streaming calls on one connection. Each server
 * stream sends one 32-byte message and then waits; "open" is when every call
 * has its first message. With all of them open both processes report RSS
 * (after GC); then the server releases them all at once and each delivers its
 * remaining messages: msg/s over release → last message.
 */
export async function runOpenStreams(context: WorkloadContext, cell: CellConfig): Promise<Metrics> {
  const client = await context.shared();
  const streams = cell.streams;
  const perStream = Math.max(2, cell.messagesPerStream);
  const serverBefore = await context.askServer({ kind: "snapshot", gc: true });
  const clientBefore = takeSnapshot(true);

  let opened = 0;
  let delivered = 0;
  let allOpen: () => void = () => {};
  const everyOpen = new Promise<void>((resolve) => {
    allOpen = resolve;
  });
  const started = performance.now();
  const calls = Array.from({ length: streams }, () => {
    let received = 0;
    return client.serverStream(
      { count: perStream, payloadSize: 32, durationMs: 0, hold: true },
      () => {
        received++;
        if (received === 1) {
          if (++opened === streams) {
            allOpen();
          }
        } else {
          delivered++;
        }
      },
    );
  });
  const allDone = Promise.all(calls);
  await Promise.race([
    everyOpen,
    allDone.then(() => {
      throw new Error("streams ended before all were open");
    }),
  ]);
  const openMs = performance.now() - started;

  const serverOpen = await context.askServer({ kind: "snapshot", gc: true });
  const clientOpen = takeSnapshot(true);
  const measured = await measureCpu(context, async () => {
    await context.askServer({ kind: "release" });
    await allDone;
  });
  const expected = streams * (perStream - 1);
  if (delivered !== expected) {
    throw new Error(`delivered ${delivered} messages after the release, expected ${expected}`);
  }
  return {
    openMs,
    msgPerSec: delivered / (measured.elapsedMs / 1000),
    serverKiBPerStream: (serverOpen.rss - serverBefore.rss) / 1024 / streams,
    clientKiBPerStream: (clientOpen.rss - clientBefore.rss) / 1024 / streams,
    serverRssMiB: serverOpen.rss / MIB,
    clientRssMiB: clientOpen.rss / MIB,
    clientCpu: measured.clientCpu,
    serverCpu: measured.serverCpu,
    otherCpu: measured.otherCpu,
    streams,
  };
}
