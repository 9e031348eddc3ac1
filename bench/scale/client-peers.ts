import { type Client, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { BenchService } from "../../gen/p2prpc/bench/v1/bench_pb.ts";
import { createLibp2pTransport, createRpcNode } from "../../src/index.ts";
import { SMALL_PAYLOAD } from "../workloads/workload-context.ts";
import { type CallsAnswer, describeError, type GrowAnswer } from "./scale-messages.ts";

/** One client peer: its own node (own identity) and a Connect client over it. */
interface ClientPeer {
  readonly node: Libp2p;
  readonly client: Client<typeof BenchService>;
}

/** Runs `work` for indexes 0…count-1, `parallel` at a time. */
async function inParallel(
  count: number,
  parallel: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      await work(next++);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, count)) }, worker));
}

/**
 * The client peers of one scale client process: each a `createRpcNode` of
 * its own (so the server sees a distinct peer, as in workload g), connected
 * to the server with one unary call done, then idle. Their connection
 * keeper never closes an idle connection (`idleTimeoutMs: 0`): the default
 * would close each after a minute without calls, and the curve is about
 * peers the server holds, not about the pool's idle policy.
 */
export class ClientPeers {
  readonly #server: string;
  readonly #peers: ClientPeer[] = [];

  /** Peers of a server at `server` (a multiaddr with /p2p/). */
  constructor(server: string) {
    this.#server = server;
  }

  /** Adds peers until there are `total` (failed ones are stopped, not kept). */
  async grow(total: number, parallel: number, timeoutMs: number): Promise<GrowAnswer> {
    const started = performance.now();
    let failures = 0;
    let firstError: string | undefined;
    await inParallel(total - this.#peers.length, parallel, async () => {
      const node = await createRpcNode({ listen: [], connectionKeeper: { idleTimeoutMs: 0 } });
      const client = createClient(
        BenchService,
        createLibp2pTransport({ libp2p: node, peer: this.#server }),
      );
      try {
        await client.unary({ payload: SMALL_PAYLOAD }, { timeoutMs });
        this.#peers.push({ node, client });
      } catch (error) {
        failures++;
        firstError ??= describeError(error);
        await Promise.resolve(node.stop()).catch(() => {});
      }
    });
    return {
      nodes: this.#peers.length,
      failures,
      firstError,
      elapsedMs: performance.now() - started,
    };
  }

  /** Peers whose node has a connection (to the server, the only peer it knows) open. */
  held(): number {
    return this.#peers.filter(({ node }) =>
      node.getConnections().some((connection) => connection.status === "open"),
    ).length;
  }

  /** `count` unary calls, each from a random peer, `inFlight` at a time, each with a deadline. */
  async calls(count: number, inFlight: number, timeoutMs: number): Promise<CallsAnswer> {
    if (this.#peers.length === 0) {
      throw new Error("no peers to call from");
    }
    const latenciesMs: number[] = [];
    let failures = 0;
    let firstError: string | undefined;
    const started = performance.now();
    await inParallel(count, inFlight, async () => {
      const peer = this.#peers[Math.floor(Math.random() * this.#peers.length)] as ClientPeer;
      const callStarted = performance.now();
      try {
        await peer.client.unary({ payload: SMALL_PAYLOAD }, { timeoutMs });
        latenciesMs.push(performance.now() - callStarted);
      } catch (error) {
        failures++;
        firstError ??= describeError(error);
      }
    });
    return { latenciesMs, failures, firstError, elapsedMs: performance.now() - started };
  }
}
