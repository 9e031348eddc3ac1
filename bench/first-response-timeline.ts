/**
 * Where the time of workload (f) goes: `node bench/first-response-timeline.ts
 * [quic|tcp] [samples]`.
 *
 * The server runs in a child process, as in the harness. For each sample the
 * client makes a new node (untimed), then makes one unary call to the server,
 * which dials it; both processes note when things happen on one clock
 * (`performance.timeOrigin + performance.now()`): the connection opening on
 * each side (libp2p's `connection:open`), the server's handler being
 * entered, and the answer arriving. It prints the median of each point, in
 * ms after the call started, over the samples after three warm-up ones, and
 * the median CPU time the client process used from the call's start to its
 * answer (all its threads: JavaScript, GC helpers, QUIC's native threads).
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { BenchService } from "../gen/p2prpc/bench/v1/bench_pb.ts";
import { createLibp2pTransport, createRpcNode, rpcServer } from "../src/index.ts";
import { median } from "./stats.ts";

const USAGE = "usage: node bench/first-response-timeline.ts [quic|tcp] [samples ≥ 4]";
const WARM_UP = 3;
const LISTEN = { quic: "/ip4/127.0.0.1/udp/0/quic-v1", tcp: "/ip4/127.0.0.1/tcp/0" } as const;

/** Milliseconds on a clock both processes share. */
const now = (): number => performance.timeOrigin + performance.now();

/** What the server noted, in order: one connection and one call per sample. */
interface ServerEvents {
  readonly opened: number[];
  readonly handled: number[];
}

async function serve(transport: keyof typeof LISTEN): Promise<void> {
  const events: ServerEvents = { opened: [], handled: [] };
  const node = await createRpcNode({
    listen: [LISTEN[transport]],
    services: {
      rpc: rpcServer({
        routes: (router) =>
          router.service(BenchService, {
            unary(request) {
              events.handled.push(now());
              return { payload: request.payload };
            },
            async *serverStream() {},
            async *bidi() {},
          }),
      }),
    },
  });
  node.addEventListener("connection:open", () => events.opened.push(now()));
  // The parent is gone (it failed or was killed): the server goes too.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (message) => {
    if (message === "report") {
      process.send?.(events, () => process.exit(0));
    }
  });
  process.send?.(String(node.getMultiaddrs()[0]));
}

/** The server's next message; rejects if it exits first. */
function nextMessage<T>(server: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => {
      reject(new Error(`the server process exited (code ${code}) before answering`));
    };
    server.once("exit", onExit);
    server.once("message", (message) => {
      server.off("exit", onExit);
      resolve(message as T);
    });
  });
}

async function measure(transport: keyof typeof LISTEN, samples: number): Promise<void> {
  const server: ChildProcess = fork(fileURLToPath(import.meta.url), ["serve", transport]);
  const address = await nextMessage<string>(server);
  const started: number[] = [];
  const opened: number[] = [];
  const answered: number[] = [];
  const clientCpu: number[] = [];
  const payload = new Uint8Array(32);
  for (let sample = 0; sample < samples; sample++) {
    const node = await createRpcNode({ listen: [] });
    node.addEventListener("connection:open", () => opened.push(now()), { once: true });
    const client = createClient(
      BenchService,
      createLibp2pTransport({ libp2p: node, peer: address }),
    );
    const cpuBefore = process.cpuUsage();
    started.push(now());
    await client.unary({ payload });
    answered.push(now());
    const cpu = process.cpuUsage(cpuBefore);
    clientCpu.push((cpu.user + cpu.system) / 1000);
    await node.stop();
  }
  server.send("report");
  const events = await nextMessage<ServerEvents>(server);
  if (events.opened.length !== samples || events.handled.length !== samples) {
    throw new Error(
      `the server saw ${events.opened.length} connections and ${events.handled.length} calls for ${samples} samples`,
    );
  }
  const points: [string, number[]][] = [
    ["client: connection open", opened],
    ["server: connection open", events.opened],
    ["server: handler entered", events.handled],
    ["client: answer received", answered],
  ];
  console.log(`${transport}: median ms after the call started (${samples - WARM_UP} samples)`);
  let previous = 0;
  for (const [name, times] of points) {
    const at = median(
      times.slice(WARM_UP).map((time, index) => time - (started[index + WARM_UP] as number)),
    );
    console.log(
      `  ${name.padEnd(24)} ${at.toFixed(2).padStart(6)}  (+${(at - previous).toFixed(2)})`,
    );
    previous = at;
  }
  console.log(
    `  client CPU (all threads)  ${median(clientCpu.slice(WARM_UP)).toFixed(2).padStart(6)}`,
  );
  process.exit(0);
}

const [first, second, third] = process.argv.slice(2);
if (first === "serve") {
  await serve(second === "tcp" ? "tcp" : "quic");
} else {
  const transport = first ?? "quic";
  const samples = Number(second ?? 60);
  if (
    (transport !== "quic" && transport !== "tcp") ||
    !Number.isInteger(samples) ||
    samples <= WARM_UP ||
    third !== undefined
  ) {
    throw new Error(USAGE);
  }
  await measure(transport, samples);
}
