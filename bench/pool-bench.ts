/**
 * Benchmarks of the peer pool, two processes or more on loopback TCP:
 *
 * - `npm run bench:pool -- balance [seconds]`: three server processes, one of
 *   them slowed by 20 ms per call; a client with 16 calls in flight, for each
 *   policy in turn (round-robin, least-loaded, pick-first). Prints req/s and
 *   p50/p99 per policy: least-loaded's p99 should be at most a third of
 *   round-robin's.
 * - `npm run bench:pool -- fairness [MB]`: one server; the p50/p99 of small
 *   unary calls, one at a time, on an idle connection, then while a server
 *   stream of `MB` megabytes (1 MiB messages, default 200) runs to the same
 *   peer on the same connection.
 *
 * Timings are figures to record in bench/README.md, never asserted.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { TransferService } from "../gen/p2prpc/test/v1/transfer_pb.ts";
import { createLibp2pTransport, createRpcNode } from "../src/index.ts";

const ROOT = resolve(import.meta.dirname, "..");
const children: ChildProcess[] = [];

function startServer(delayMs: number): Promise<string> {
  const child = spawn(
    process.execPath,
    ["--conditions=p2prpc-source", "bench/pool/transfer-server.ts", "--delay-ms", String(delayMs)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  return new Promise((resolvePromise, reject) => {
    let address = "";
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on(
      "line",
      (line) => {
        if (line.startsWith("LISTEN ")) {
          address = line.slice("LISTEN ".length);
        } else if (line === "READY") {
          resolvePromise(address);
        }
      },
    );
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const format = (ms: number): string => ms.toFixed(2);

async function balance(seconds: number): Promise<void> {
  const addresses = await Promise.all([startServer(0), startServer(0), startServer(20)]);
  const libp2p = await createRpcNode({ listen: [] });
  console.log(
    `balance: 3 servers (the third slowed by 20 ms per call), 16 in flight, ${seconds} s per policy`,
  );
  console.log("| policy | req/s | p50 ms | p99 ms | calls to the slow peer |");
  console.log("| --- | --: | --: | --: | --: |");
  for (const policy of ["round-robin", "least-loaded", "pick-first"] as const) {
    const transport = createLibp2pTransport({ libp2p, peers: addresses, balance: policy });
    const client = createClient(TransferService, transport);
    // Warm-up: every connection open, latencies known.
    for (let i = 0; i < 30; i++) {
      await client.exchange({}, { timeoutMs: 5000 });
    }
    const latencies: number[] = [];
    const end = performance.now() + seconds * 1000;
    const before = transport.pool.stats()[2]?.calls ?? 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < end) {
          const started = performance.now();
          await client.exchange({}, { timeoutMs: 5000 });
          latencies.push(performance.now() - started);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const slow = (transport.pool.stats()[2]?.calls ?? 0) - before;
    console.log(
      `| ${policy} | ${Math.round(latencies.length / seconds)} | ${format(quantile(latencies, 0.5))} | ${format(quantile(latencies, 0.99))} | ${slow} of ${latencies.length} |`,
    );
  }
  await libp2p.stop();
}

async function unaryLatencies(
  client: ReturnType<typeof createClient<typeof TransferService>>,
  until: () => boolean,
  limit: number,
): Promise<number[]> {
  const latencies: number[] = [];
  while (until() && latencies.length < limit) {
    const started = performance.now();
    await client.exchange({ data: new Uint8Array(32) }, { timeoutMs: 10_000 });
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

async function fairness(megabytes: number): Promise<void> {
  const address = await startServer(0);
  const libp2p = await createRpcNode({ listen: [] });
  const client = createClient(TransferService, createLibp2pTransport({ libp2p, peer: address }));
  await unaryLatencies(client, () => true, 500);
  const idle = await unaryLatencies(client, () => true, 2000);
  let streaming = true;
  let received = 0;
  const started = performance.now();
  const bulk = (async () => {
    for await (const { data } of client.download(
      { respondBytes: 1024 * 1024, respondCount: megabytes },
      { timeoutMs: 600_000 },
    )) {
      received += data.byteLength;
    }
    streaming = false;
  })();
  const busy = await unaryLatencies(client, () => streaming, 1_000_000);
  await bulk;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `fairness: small unary calls to one peer, idle and during a ${megabytes} MB server stream on the same connection (TCP)`,
  );
  console.log("| | calls | p50 ms | p99 ms |");
  console.log("| --- | --: | --: | --: |");
  console.log(
    `| idle | ${idle.length} | ${format(quantile(idle, 0.5))} | ${format(quantile(idle, 0.99))} |`,
  );
  console.log(
    `| during the stream | ${busy.length} | ${format(quantile(busy, 0.5))} | ${format(quantile(busy, 0.99))} |`,
  );
  console.log(
    `stream: ${(received / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s (${(received / 1e6 / seconds).toFixed(0)} MB/s); p99 factor ${(quantile(busy, 0.99) / quantile(idle, 0.99)).toFixed(1)}x`,
  );
  await libp2p.stop();
}

const [mode, arg] = process.argv.slice(2);
try {
  if (mode === "balance") {
    await balance(Number(arg ?? 5));
  } else if (mode === "fairness") {
    await fairness(Number(arg ?? 200));
  } else {
    console.error("usage: npm run bench:pool -- balance [seconds] | fairness [MB]");
    process.exitCode = 2;
  }
} finally {
  for (const child of children) {
    child.kill("SIGTERM");
  }
}
