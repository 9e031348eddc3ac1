// Subscribes to a symbol's prices and prints each as a JSON line
// `{"seq":…,"price":…,"atMs":…}`; takes --delay-ms per price (a slow
// subscriber), asks for --book-bytes of order book with each price (a
// heavier stream), and stops after --count prices.
//
//   node --conditions=p2prpc-source examples/price-ticker/subscriber.ts <server multiaddr> [--count N] [--delay-ms N]
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createLibp2pTransport, createRpcNode } from "p2prpc";
import { TickerService } from "../../gen/acme/ticker/v1/ticker_pb.ts";

const { values, positionals } = parseArgs({
  options: {
    count: { type: "string", default: "20" },
    "delay-ms": { type: "string", default: "0" },
    symbol: { type: "string", default: "ACME" },
    "book-bytes": { type: "string", default: "0" },
  },
  allowPositionals: true,
});
const [peer] = positionals;
if (peer === undefined) {
  console.error("usage: subscriber.ts <server multiaddr> [--count N] [--delay-ms N]");
  process.exit(2);
}
const count = Number(values.count);
const delayMs = Number(values["delay-ms"]);

const libp2p = await createRpcNode({ listen: [] });
const ticker = createClient(TickerService, createLibp2pTransport({ libp2p, peer }));
const stop = new AbortController();
let received = 0;
try {
  for await (const { seq, price } of ticker.subscribe(
    { symbol: values.symbol, bookBytes: Number(values["book-bytes"]) },
    // A minute at most. (An AbortSignal.timeout rather than timeoutMs: after a
    // call left early, the timer of timeoutMs kept the process alive until it fired.)
    { signal: AbortSignal.any([stop.signal, AbortSignal.timeout(60_000)]) },
  )) {
    console.log(JSON.stringify({ seq: Number(seq), price, atMs: Date.now() }));
    if (++received === count) {
      stop.abort(); // ends the call: the server's handler sees its signal abort
      break;
    }
    if (delayMs > 0) {
      await sleep(delayMs);
    }
  }
} finally {
  await libp2p.stop();
}
