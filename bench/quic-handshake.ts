/**
 * The QUIC handshake alone, without libp2p around it: `node
 * bench/quic-handshake.ts [samples] [stream limit …]`.
 *
 * A child process runs `@chainsafe/libp2p-quic`'s native server; for each
 * sample this process makes a native client with a new identity (untimed)
 * and times `outboundConnection()` until the handshake is done. Each stream
 * limit given (`maxConcurrentStreamLimit`, the same on both sides) gets its
 * own server, and the limits are measured in turns, three rounds. It prints
 * the median per limit. It shows what of workload (f) is the transport's
 * own handshake, and what the stream limit adds to it.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { defaultOptions } from "@chainsafe/libp2p-quic";
import { generateKeyPair, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { median } from "./stats.ts";

const USAGE = "usage: node bench/quic-handshake.ts [samples ≥ 4] [stream limit …]";
const WARM_UP = 3;
const ROUNDS = 3;

/** The parts of the package's native binding used here (it has no typings). */
interface Native {
  QuinnConfig: new (config: object) => object;
  Server: new (config: object, ip: string, port: number) => NativeServer;
  Client: new (config: object, family: number) => NativeClient;
}
interface NativeConnection {
  abort(): void;
}
interface NativeServer {
  port(): number;
  inboundConnection(): Promise<NativeConnection>;
}
interface NativeClient {
  outboundConnection(ip: string, port: number): Promise<NativeConnection>;
  abort(): void;
}

/** The package's own native binding, next to its entry point (not an export of the package). */
async function loadNative(): Promise<Native> {
  const entry = import.meta.resolve("@chainsafe/libp2p-quic");
  return (await import(new URL("./napi.js", entry).href)) as Native;
}

async function configFor(native: Native, streamLimit: number): Promise<object> {
  const privateKey = await generateKeyPair("Ed25519");
  return new native.QuinnConfig({
    ...defaultOptions,
    maxConcurrentStreamLimit: streamLimit,
    privateKeyProto: privateKeyToProtobuf(privateKey),
  });
}

async function serve(streamLimit: number): Promise<void> {
  const native = await loadNative();
  const server = new native.Server(await configFor(native, streamLimit), "127.0.0.1", 0);
  process.on("disconnect", () => process.exit(0));
  process.send?.(server.port());
  const open: NativeConnection[] = [];
  for (;;) {
    open.push(await server.inboundConnection());
    if (open.length > 8) {
      open.shift()?.abort();
    }
  }
}

function started(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("exit", (code) => reject(new Error(`the server exited (code ${code})`)));
    server.once("message", (port) => resolve(port as number));
  });
}

async function measure(samples: number, limits: number[]): Promise<void> {
  const native = await loadNative();
  const script = fileURLToPath(import.meta.url);
  const servers = limits.map((limit) => fork(script, ["serve", String(limit)]));
  const ports = await Promise.all(servers.map(started));
  const times = limits.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, limit] of limits.entries()) {
      for (let sample = 0; sample < samples; sample++) {
        const client = new native.Client(await configFor(native, limit), 0);
        const start = performance.now();
        const connection = await client.outboundConnection("127.0.0.1", ports[index] as number);
        const took = performance.now() - start;
        if (sample >= WARM_UP) {
          times[index]?.push(took);
        }
        connection.abort();
        client.abort();
      }
    }
  }
  console.log(`native QUIC handshake, median ms (${ROUNDS} rounds of ${samples - WARM_UP})`);
  for (const [index, limit] of limits.entries()) {
    console.log(
      `  stream limit ${String(limit).padStart(5)}  ${median(times[index] ?? []).toFixed(2)}`,
    );
  }
  for (const server of servers) {
    server.kill();
  }
}

const [first, ...rest] = process.argv.slice(2);
if (first === "serve") {
  await serve(Number(rest[0]));
} else {
  const samples = Number(first ?? 60);
  const limits = rest.length === 0 ? [256, 4096] : rest.map(Number);
  if (
    !Number.isInteger(samples) ||
    samples <= WARM_UP ||
    limits.some((limit) => !Number.isInteger(limit) || limit < 1)
  ) {
    throw new Error(USAGE);
  }
  await measure(samples, limits);
}
