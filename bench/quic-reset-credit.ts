/**
 * `node bench/quic-reset-credit.ts [streams] [mode]`: does a QUIC connection
 * get its stream credit back from streams the client resets? Two plain
 * libp2p nodes over QUIC (no p2prpc), a protocol whose handler reads until
 * the stream ends. The client opens `streams` streams one after the other
 * and resets each: `mode` "at-once" resets it right after it opened, before
 * writing; "after-write" writes a byte first; "after-echo" waits for the
 * handler's one-byte answer; "close" reads the answer and closes cleanly.
 * The handler closes its side once the client's ends, as a p2prpc server
 * does. Then it opens one more stream with a 5 s
 * timeout and prints whether that worked, and how the others failed. (Found by `npm run soak -- quic`:
 * docs/RELIABILITY.md, "Soak".)
 */
import { quic } from "@chainsafe/libp2p-quic";
import { identify } from "@libp2p/identify";
import { createLibp2p } from "libp2p";

const PROTOCOL = "/reset-credit/1.0.0";
const [count = "2000", mode = "at-once"] = process.argv.slice(2);

const node = (listen: string[]) =>
  createLibp2p({
    addresses: { listen },
    transports: [quic()],
    services: { identify: identify() },
  });
const server = await node(["/ip4/127.0.0.1/udp/0/quic-v1"]);
const client = await node([]);
await server.handle(PROTOCOL, async (stream) => {
  stream.send(Uint8Array.of(1));
  try {
    for await (const _ of stream) {
      // read until the end
    }
    // The client ended its side (or reset it, which QUIC may deliver as an
    // end): close ours, as a p2prpc server does between calls.
    await stream.close();
  } catch {
    // reset by the client
  }
});
const connection = await client.dial(server.getMultiaddrs());
const failures: Record<string, number> = {};
for (let i = 0; i < Number(count); i++) {
  try {
    const stream = await connection.newStream(PROTOCOL, { signal: AbortSignal.timeout(5000) });
    if (mode === "after-write") {
      stream.send(Uint8Array.of(2));
    } else if (mode === "after-echo") {
      for await (const _ of stream) {
        break;
      }
    }
    if (mode === "close") {
      for await (const _ of stream) {
        break;
      }
      await stream.close();
    } else {
      stream.abort(new Error("reset by the client"));
    }
  } catch (error) {
    const name = (error as Error).name;
    failures[name] = (failures[name] ?? 0) + 1;
    if (name === "TimeoutError") {
      console.log(`stream ${i}: no stream within 5 s`);
      break;
    }
  }
}
let last = "ok";
try {
  const stream = await connection.newStream(PROTOCOL, { signal: AbortSignal.timeout(5000) });
  await stream.close();
} catch (error) {
  last = (error as Error).name;
}
console.log(JSON.stringify({ mode, streams: Number(count), failures, nextStream: last }));
await Promise.all([client.stop(), server.stop()]);
