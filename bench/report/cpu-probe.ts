// A fixed CPU probe, run by the orchestrator at the start and at the end of
// every `npm run bench`, so that a report can tell a slow or busy machine
// from a slow p2prpc: the same work every time, timed in the orchestrator's
// own process while no benchmark process runs.
import { once } from "node:events";
import { createConnection, createServer, type Socket } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { UnaryRequestSchema } from "../../gen/p2prpc/bench/v1/bench_pb.ts";
import { median } from "../stats.ts";

/** How much work each part of the probe does; the defaults are the recorded probe's. */
export interface CpuProbeWork {
  /** Passes of a pure-JavaScript FNV-1a hash over a fixed 256 KiB buffer. */
  readonly hashPasses: number;
  /** protobuf-es `toBinary` + `fromBinary` of a 32-byte-payload `UnaryRequest`. */
  readonly protobufRoundTrips: number;
  /** 32-byte writes over a loopback TCP socket, each waiting for its echo. */
  readonly loopbackRoundTrips: number;
  /** Timed repeats of each part (after one untimed pass); the median is kept. */
  readonly repeats: number;
}

/** The work of the recorded probe: about 40–50 ms per part and repeat on the reference machine. */
export const DEFAULT_PROBE_WORK: CpuProbeWork = {
  hashPasses: 120,
  protobufRoundTrips: 20_000,
  loopbackRoundTrips: 1_500,
  repeats: 7,
};

/** Milliseconds each part of the probe took (medians of its repeats): lower is faster. */
export interface CpuProbeResult {
  /** JavaScript compute: the FNV-1a passes. */
  readonly jsHashMs: number;
  /** JavaScript allocation and protobuf: the encode/decode round trips. */
  readonly protobufMs: number;
  /** Syscalls and event-loop wake-ups: the loopback round trips. */
  readonly loopbackMs: number;
  /** A digest of the JavaScript parts' output: the same on every machine for the same work. */
  readonly checksum: number;
}

const HASH_BUFFER_BYTES = 256 * 1024;

/** A fixed pseudo-random buffer (xorshift32 from a fixed seed). */
function fixedBuffer(): Uint8Array {
  const buffer = new Uint8Array(HASH_BUFFER_BYTES);
  let state = 0x2545f491;
  for (let index = 0; index < buffer.length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    buffer[index] = state & 0xff;
  }
  return buffer;
}

/** FNV-1a, 32 bits, `passes` times over `buffer`; returns the hash so nothing is optimised away. */
function fnv1a(buffer: Uint8Array, passes: number): number {
  let hash = 0x811c9dc5;
  for (let pass = 0; pass < passes; pass++) {
    for (let index = 0; index < buffer.length; index++) {
      hash = Math.imul(hash ^ (buffer[index] as number), 0x01000193);
    }
  }
  return hash >>> 0;
}

/** Encodes and decodes a small request `count` times; returns the bytes seen. */
function protobufRoundTrips(count: number): number {
  const request = create(UnaryRequestSchema, { payload: new Uint8Array(32).fill(0x2a) });
  let bytes = 0;
  for (let index = 0; index < count; index++) {
    const encoded = toBinary(UnaryRequestSchema, request);
    bytes += fromBinary(UnaryRequestSchema, encoded).payload.length + encoded.length;
  }
  return bytes;
}

/** A loopback TCP echo pair in this process. */
interface LoopbackPair {
  readonly client: Socket;
  close(): Promise<void>;
}

async function openLoopbackPair(): Promise<LoopbackPair> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("data", (chunk) => socket.write(chunk));
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new Error("cpu probe: the loopback server has no port");
  }
  const client = createConnection({ host: "127.0.0.1", port: address.port });
  client.setNoDelay(true);
  await once(client, "connect");
  return {
    client,
    async close() {
      client.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/** `count` 32-byte writes, each answered by its echo before the next. */
async function loopbackRoundTrips(
  client: Socket,
  count: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const message = Buffer.alloc(32, 0x2a);
  let done = 0;
  let received = 0;
  signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      while (received >= message.length) {
        received -= message.length;
        done++;
        if (done === count) {
          finish();
          resolve();
          return;
        }
        client.write(message);
      }
    };
    const onError = (error: unknown): void => {
      finish();
      reject(error);
    };
    const onAbort = (): void => onError(signal?.reason);
    const finish = (): void => {
      client.off("data", onData);
      client.off("error", onError);
      signal?.removeEventListener("abort", onAbort);
    };
    client.on("data", onData);
    client.on("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
    client.write(message);
  });
}

/** Folds `value` into the running checksum. */
function mix(checksum: number, value: number): number {
  return Math.imul(checksum ^ value, 0x01000193) >>> 0;
}

/** Times `work` once untimed, then `repeats` times; the median in milliseconds. */
async function timed(
  repeats: number,
  signal: AbortSignal | undefined,
  work: () => unknown,
): Promise<number> {
  await work();
  const times: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    signal?.throwIfAborted();
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return median(times);
}

/**
 * Runs the fixed probe: the same JavaScript, protobuf and loopback work
 * every time, each part timed. Takes about 1.3 s with the default work;
 * `signal` ends it early (it rejects with the signal's reason).
 */
export async function runCpuProbe(
  work: CpuProbeWork = DEFAULT_PROBE_WORK,
  signal?: AbortSignal,
): Promise<CpuProbeResult> {
  const buffer = fixedBuffer();
  let sink = 0;
  const jsHashMs = await timed(work.repeats, signal, () => {
    sink = mix(sink, fnv1a(buffer, work.hashPasses));
  });
  const protobufMs = await timed(work.repeats, signal, () => {
    sink = mix(sink, protobufRoundTrips(work.protobufRoundTrips));
  });
  const pair = await openLoopbackPair();
  let loopbackMs: number;
  try {
    loopbackMs = await timed(work.repeats, signal, () =>
      loopbackRoundTrips(pair.client, work.loopbackRoundTrips, signal),
    );
  } finally {
    await pair.close();
  }
  return { jsHashMs, protobufMs, loopbackMs, checksum: sink };
}
