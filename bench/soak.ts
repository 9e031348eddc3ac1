/**
 * `npm run soak [-- <transport> <unary calls> <streams>]`: the full-size soak
 * (default: TCP, 100,000 unary calls, 1,000 server streams of 100 messages,
 * a random tenth of each cancelled). Prints what it measured as JSON and
 * exits 1 when resources did not return to their baseline or a call ended
 * with anything but OK or Canceled. docs/RELIABILITY.md ("Soak") has the
 * figures of a run.
 */
import { runSoak } from "./soak/run-soak.ts";

const [transport = "tcp", unaryCalls = "100000", streams = "1000"] = process.argv.slice(2);
if (transport !== "tcp" && transport !== "memory" && transport !== "quic") {
  throw new Error(`unknown transport ${transport}: tcp, memory or quic`);
}
const result = await runSoak({
  transport,
  unaryCalls: Number(unaryCalls),
  unaryConcurrency: 64,
  streams: Number(streams),
  messagesPerStream: 100,
  streamConcurrency: 64,
  cancelRatio: 0.1,
  settleLimitMs: 10_000,
});
const growthMiB = (result.heapAfterBytes - result.heapBeforeBytes) / 2 ** 20;
console.log(JSON.stringify({ ...result, heapGrowthMiB: Number(growthMiB.toFixed(2)) }, null, 2));
const codes = new Set([...Object.keys(result.unary), ...Object.keys(result.streams)]);
const clean = [...codes].every((code) => code === "OK" || code === "Canceled");
process.exitCode = result.settled && clean ? 0 : 1;
