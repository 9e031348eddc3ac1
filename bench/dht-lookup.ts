/**
 * How long a DHT lookup of a PeerId takes, and how many hops and peers it
 * needs, in a network of real processes on this machine:
 * `npm run bench:dht -- [processes] [nodes per process] [lookups]`
 * (default 5 × 6 = 30 nodes, 100 lookups).
 *
 * Each process (this script with `worker`) runs its nodes with
 * `createRpcNode({ dht: { mode: "server", addresses: "all" } })` on loopback
 * TCP; the first node of the first process is the network's bootstrap node.
 * Once every routing table is filled, each lookup asks a random node for a
 * random node of another process with kad-dht's `findPeer(id, { useCache:
 * false })` (the network, never the local peer store) and reads kad-dht's
 * query events:
 * - time: from the call to the FINAL_PEER event (the target's addresses);
 * - peers queried: SEND_QUERY events until then;
 * - hops: the lookup's depth, 1 for a peer of the asking node's own routing
 *   table, one more for each peer learned from another's answer, counted
 *   for the peer whose answer held the target.
 * Then a p2prpc call to the target by PeerId alone through a fresh node (dial
 * through peer routing, then the call) is timed too.
 */

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { EchoService } from "../gen/p2prpc/test/v1/test_pb.ts";
import {
  createLibp2pTransport,
  createRpcNode,
  type RpcNodeDhtOptions,
  rpcServer,
} from "../src/index.ts";

const LAN: RpcNodeDhtOptions = { mode: "server", addresses: "all" };
const LISTEN = ["/ip4/127.0.0.1/tcp/0"];

interface QueryEventLike {
  readonly name: string;
  readonly to?: { toString(): string };
  readonly from?: { toString(): string };
  readonly closer?: Array<{ id: { toString(): string } }>;
}

interface DhtLike {
  readonly routingTable: { size: number };
  findPeer(
    id: ReturnType<typeof peerIdFromString>,
    options: { useCache: boolean; signal: AbortSignal },
  ): AsyncIterable<QueryEventLike>;
}

function dhtOf(node: Libp2p): DhtLike {
  return (node.services as unknown as { dht: DhtLike }).dht;
}

function send(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** A worker: `count` nodes, answering commands on stdin. */
async function worker(count: number, bootstrap: string | undefined): Promise<void> {
  const nodes: Libp2p[] = [];
  for (let i = 0; i < count; i++) {
    const first =
      bootstrap ?? (nodes[0] === undefined ? undefined : String(nodes[0].getMultiaddrs()[0]));
    const node = await createRpcNode({
      listen: LISTEN,
      dht: { ...LAN, ...(first === undefined ? {} : { bootstrap: [first] }) },
      services: {
        rpc: rpcServer({
          routes: (router) => router.service(EchoService, { unary: (req) => ({ text: req.text }) }),
        }),
      },
    });
    nodes.push(node);
  }
  send({
    event: "nodes",
    nodes: nodes.map((node) => ({
      id: node.peerId.toString(),
      address: String(node.getMultiaddrs()[0]),
    })),
  });
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line) as {
      cmd: string;
      node?: number;
      target?: string;
      id?: number;
      bootstrap?: string;
    };
    if (command.cmd === "tables") {
      send({ event: "tables", sizes: nodes.map((node) => dhtOf(node).routingTable.size) });
    } else if (command.cmd === "lookup") {
      send({
        event: "lookup",
        id: command.id,
        ...(await lookUp(nodes[command.node ?? 0] as Libp2p, command.target ?? "")),
      });
    } else if (command.cmd === "call") {
      send({
        event: "call",
        id: command.id,
        ...(await callById(command.bootstrap ?? "", command.target ?? "")),
      });
    }
  }
}

async function lookUp(node: Libp2p, target: string): Promise<Record<string, unknown>> {
  const depth = new Map<string, number>();
  let queried = 0;
  const start = performance.now();
  for await (const event of dhtOf(node).findPeer(peerIdFromString(target), {
    useCache: false,
    signal: AbortSignal.timeout(30_000),
  })) {
    if (event.name === "SEND_QUERY") {
      queried++;
      const to = String(event.to);
      if (!depth.has(to)) {
        depth.set(to, 1);
      }
    } else if (event.name === "PEER_RESPONSE") {
      const from = depth.get(String(event.from)) ?? 1;
      for (const peer of event.closer ?? []) {
        const id = peer.id.toString();
        if (!depth.has(id)) {
          depth.set(id, from + 1);
        }
      }
    } else if (event.name === "FINAL_PEER") {
      return {
        found: true,
        ms: performance.now() - start,
        queried,
        hops: depth.get(String(event.from)) ?? 1,
      };
    }
  }
  return { found: false, ms: performance.now() - start, queried, hops: null };
}

/** A fresh node that knows only `bootstrap` calls `target` by PeerId: DHT lookup, dial, call. */
async function callById(bootstrap: string, target: string): Promise<Record<string, unknown>> {
  const node = await createRpcNode({ listen: LISTEN, dht: { ...LAN, bootstrap: [bootstrap] } });
  try {
    const ready = performance.now();
    while (dhtOf(node).routingTable.size === 0 && performance.now() - ready < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await node.peerStore.delete(peerIdFromString(target)).catch(() => {});
    const echo = createClient(EchoService, createLibp2pTransport({ libp2p: node, peer: target }));
    const start = performance.now();
    await echo.unary({ text: "by id" }, { timeoutMs: 30_000 });
    return { ok: true, ms: performance.now() - start };
  } catch (error) {
    return { ok: false, error: String(error) };
  } finally {
    await node.stop();
  }
}

interface Child {
  readonly nodes: Array<{ id: string; address: string }>;
  request(command: Record<string, unknown>): Promise<Record<string, unknown>>;
  readonly kill: () => void;
}

async function startChild(count: number, bootstrap: string | undefined): Promise<Child> {
  const child = spawn(
    process.execPath,
    [
      "--conditions=p2prpc-source",
      new URL(import.meta.url).pathname,
      "worker",
      String(count),
      ...(bootstrap === undefined ? [] : [bootstrap]),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(message: Record<string, unknown>) => void> = [];
  let first: ((message: Record<string, unknown>) => void) | undefined;
  const nodes = await new Promise<Array<{ id: string; address: string }>>((resolve, reject) => {
    first = (message) => resolve(message.nodes as Array<{ id: string; address: string }>);
    child.once("exit", (code) => reject(new Error(`worker exited (${code}) before it started`)));
    lines.on("line", (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      if (first !== undefined) {
        const resolveFirst = first;
        first = undefined;
        resolveFirst(message);
      } else {
        waiting.shift()?.(message);
      }
    });
  });
  return {
    nodes,
    request: (command) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${JSON.stringify(command)}\n`);
      }),
    kill: () => child.kill("SIGKILL"),
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const [processes = 5, perProcess = 6, lookups = 100] = process.argv.slice(2).map(Number);
  const children: Child[] = [];
  try {
    const t0 = performance.now();
    children.push(await startChild(perProcess, undefined));
    const bootstrap = children[0]?.nodes[0]?.address as string;
    children.push(
      ...(await Promise.all(
        Array.from({ length: processes - 1 }, () => startChild(perProcess, bootstrap)),
      )),
    );
    const total = processes * perProcess;
    // Settled: every routing table holds at least half the network, or 60 s passed.
    let sizes: number[] = [];
    const settle = performance.now();
    for (;;) {
      sizes = (
        await Promise.all(children.map((child) => child.request({ cmd: "tables" })))
      ).flatMap((m) => m.sizes as number[]);
      if (Math.min(...sizes) >= Math.floor(total / 2) || performance.now() - settle > 60_000) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(
      `${total} nodes in ${processes} processes up in ${((performance.now() - t0) / 1000).toFixed(1)} s; routing tables ${Math.min(...sizes)}-${Math.max(...sizes)} peers (median ${quantile(
        [...sizes].sort((a, b) => a - b),
        0.5,
      )})`,
    );
    const results: Array<{ found: boolean; ms: number; queried: number; hops: number | null }> = [];
    for (let i = 0; i < lookups; i++) {
      const from = Math.floor(Math.random() * processes);
      let to = Math.floor(Math.random() * (processes - 1));
      to = to >= from ? to + 1 : to;
      const target = children[to]?.nodes[Math.floor(Math.random() * perProcess)]?.id;
      const answer = await children[from]?.request({
        cmd: "lookup",
        node: Math.floor(Math.random() * perProcess),
        target,
        id: i,
      });
      results.push(answer as unknown as (typeof results)[number]);
    }
    const found = results.filter((r) => r.found);
    const ms = found.map((r) => r.ms).sort((a, b) => a - b);
    const hops = found.map((r) => r.hops ?? 0);
    const queried = found.map((r) => r.queried).sort((a, b) => a - b);
    const histogram = new Map<number, number>();
    for (const h of hops) {
      histogram.set(h, (histogram.get(h) ?? 0) + 1);
    }
    console.log(`lookups: ${found.length}/${results.length} found`);
    console.log(
      `time ms: p50 ${quantile(ms, 0.5).toFixed(1)}, p90 ${quantile(ms, 0.9).toFixed(1)}, max ${(ms.at(-1) ?? Number.NaN).toFixed(1)}`,
    );
    console.log(
      `hops: ${[...histogram.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([h, n]) => `${h}: ${n}`)
        .join(", ")} (mean ${(hops.reduce((a, b) => a + b, 0) / hops.length).toFixed(2)})`,
    );
    console.log(
      `peers queried: p50 ${quantile(queried, 0.5)}, p90 ${quantile(queried, 0.9)}, max ${queried.at(-1)}`,
    );
    const calls: number[] = [];
    for (let i = 0; i < 10; i++) {
      const target = children[1 + (i % (processes - 1))]?.nodes[i % perProcess]?.id;
      const answer = await children[0]?.request({ cmd: "call", bootstrap, target, id: i });
      if (answer?.ok === true) {
        calls.push(answer.ms as number);
      } else {
        console.log(`call by id failed: ${String(answer?.error)}`);
      }
    }
    calls.sort((a, b) => a - b);
    console.log(
      `first call by PeerId from a fresh node (lookup + dial + call), ${calls.length}/10 ok: p50 ${quantile(calls, 0.5).toFixed(1)} ms, max ${(calls.at(-1) ?? Number.NaN).toFixed(1)} ms`,
    );
  } finally {
    for (const child of children) {
      child.kill();
    }
  }
}

if (process.argv[2] === "worker") {
  await worker(Number(process.argv[3]), process.argv[4]);
} else {
  await main();
}
