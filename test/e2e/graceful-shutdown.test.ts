import assert from "node:assert/strict";
import {
  type Client,
  Code,
  ConnectError,
  createClient,
  type HandlerContext,
} from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { afterEach, describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import {
  type CallRetriedDetail,
  createLibp2pTransport,
  createRpcNode,
  getRemotePeer,
  type RpcServer,
  rpcServer,
} from "../../src/index.ts";
import { createEchoProbe, type EchoProbe, echoImpl } from "../helpers/echo-service.ts";
import { type ServerSet, startServerSet } from "../helpers/server-set.ts";
import { memoryListen, TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { codeOf, waitFor } from "../helpers/wait-for.ts";

/** The grace period of the draining server: long enough for the short calls on a loaded machine. */
const GRACE_MS = 1500;
const OPTIONS = { timeoutMs: TEST_CALL_TIMEOUT_MS };

interface EchoServer {
  readonly node: Libp2p<{ rpc: RpcServer }>;
  readonly probe: EchoProbe;
  /** Request texts whose unary or server-streaming handler started here. */
  readonly started: string[];
}

async function echoServer(): Promise<EchoServer> {
  const probe = createEchoProbe();
  const impl = echoImpl(probe);
  const started: string[] = [];
  const node = await createRpcNode({
    listen: memoryListen(),
    services: {
      rpc: rpcServer({
        shutdownGraceMs: GRACE_MS,
        routes: (router) =>
          router.service(EchoService, {
            ...impl,
            unary(req, ctx) {
              started.push(req.text);
              return impl.unary?.(req, ctx) as never;
            },
            serverStream(req, ctx) {
              started.push(req.text);
              return impl.serverStream?.(req, ctx) as never;
            },
          }),
      }),
    },
  });
  return { node, probe, started };
}

/** How a call ended: its response (or messages), or its error's code. Never "nothing". */
type Ending = { readonly ok: true } | { readonly ok: false; readonly code: Code };

function ending(call: Promise<unknown>): Promise<Ending> {
  return call.then(
    () => ({ ok: true }) as const,
    (error: unknown) => ({ ok: false, code: ConnectError.from(error).code }) as const,
  );
}

async function drainStream(messages: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of messages) {
    count++;
  }
  return count;
}

describe("graceful shutdown", () => {
  const nodes: Libp2p[] = [];
  let set: ServerSet | undefined;
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
    await set?.stop();
    set = undefined;
  });

  for (const how of ["node.stop()", "rpc.drain()"] as const) {
    it(`${how}: calls in flight finish within the grace period, the rest end Canceled, new calls fail over; every call ends`, {
      timeout: 30_000,
    }, async () => {
      const [first, second] = [await echoServer(), await echoServer()];
      const client = await createRpcNode({ listen: memoryListen() });
      nodes.push(second.node, client, first.node);
      const echo: Client<typeof EchoService> = createClient(
        EchoService,
        createLibp2pTransport({
          libp2p: client,
          defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
          balance: "pick-first",
          peers: [first.node.getMultiaddrs(), second.node.getMultiaddrs()],
        }),
      );
      // Warm up: the pool's idle streams to the first server exist before the drain.
      await Promise.all([echo.unary({ text: "warm-1" }), echo.unary({ text: "warm-2" })]);

      // In flight on the first server: ten short unary calls and two short
      // streams (done well within the grace period), five that never end on
      // their own (a unary handler that hangs, a stream whose messages wait).
      const inFlight = new Map<string, Promise<Ending>>();
      for (let i = 0; i < 10; i++) {
        inFlight.set(
          `short-${i}`,
          ending(echo.unary({ text: `short-${i}`, delayMs: 300 }, OPTIONS)),
        );
      }
      for (let i = 0; i < 2; i++) {
        const text = `short-stream-${i}`;
        inFlight.set(
          text,
          ending(drainStream(echo.serverStream({ text, repeat: 3, delayMs: 100 }, OPTIONS))),
        );
      }
      for (let i = 0; i < 4; i++) {
        inFlight.set(`hang-${i}`, ending(echo.unary({ text: `hang-${i}`, hang: true }, OPTIONS)));
      }
      inFlight.set(
        "hang-stream",
        ending(
          drainStream(echo.serverStream({ text: "hang-stream", repeat: 1, hang: true }, OPTIONS)),
        ),
      );
      await waitFor(
        () => first.started.length === 2 + inFlight.size,
        "every call to reach a handler",
      );

      let stopped = false;
      const stopping = Promise.resolve(
        how === "node.stop()" ? first.node.stop() : first.node.services.rpc.drain(),
      ).then(() => {
        stopped = true;
      });
      assert.equal(first.node.services.rpc.callsInFlight, inFlight.size);

      // New calls while it drains: refused unread, so the pool runs them on the second server.
      const fresh = await Promise.all(
        Array.from({ length: 10 }, (_, i) => ending(echo.unary({ text: `new-${i}` }, OPTIONS))),
      );
      assert.equal(stopped, false, "the new calls were made while the first server drained");
      await stopping;
      const endings = new Map<string, Ending>();
      for (const [text, call] of inFlight) {
        endings.set(text, await call);
      }

      // Every call ended with a response or an error: none is left over.
      const all = [...endings.values(), ...fresh];
      assert.equal(all.filter((end) => end.ok).length + all.filter((end) => !end.ok).length, 27);
      for (const [text, end] of endings) {
        if (text.startsWith("short")) {
          assert.deepEqual(end, { ok: true }, text);
        } else {
          assert.deepEqual(end, { ok: false, code: Code.Canceled }, text);
        }
      }
      assert.deepEqual(fresh, Array(10).fill({ ok: true }));
      // The new calls ran on the second server only; nothing that had reached the
      // first server's handlers ran again anywhere.
      assert.deepEqual(
        second.started.sort(),
        Array.from({ length: 10 }, (_, i) => `new-${i}`).sort(),
      );
      assert.ok(first.started.every((text) => !text.startsWith("new")));
      assert.equal(first.node.services.rpc.callsInFlight, 0);
    });
  }

  it("drain() with no call in flight resolves at once and refuses later calls with Unavailable", async () => {
    const server = await echoServer();
    const client = await createRpcNode({ listen: memoryListen() });
    nodes.push(client, server.node);
    const echo = createClient(
      EchoService,
      createLibp2pTransport({
        libp2p: client,
        defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
        peer: server.node.getMultiaddrs(),
        retry: { initialBackoffMs: 1 },
      }),
    );
    await echo.unary({ text: "before" });
    const started = performance.now();
    await server.node.services.rpc.drain();
    // Loose bound (loaded machine): far below the 1.5 s grace period it did not need.
    assert.ok(performance.now() - started < GRACE_MS, "no grace period waited");
    assert.equal(await codeOf(echo.unary({ text: "after" }, OPTIONS)), Code.Unavailable);
    assert.deepEqual(server.started, ["before"], "the refused call never ran");
  });

  /**
   * Two servers; the first closes the caller's connection gracefully (as
   * connection pruning or an application would) while its handler runs, and
   * keeps running until the call is over.
   */
  async function closingSet(): Promise<ServerSet> {
    return startServerSet("memory", 2, (index, server) => {
      const handler = async (_: unknown, ctx: HandlerContext) => {
        server.exchanges++;
        if (index === 0) {
          void getRemotePeer(ctx).connection.close();
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        }
        return { receivedMessages: 1 };
      };
      return { exchange: handler, idempotentExchange: handler };
    });
  }

  it("a connection the server closes gracefully under a running handler: a plain call is not run again", async () => {
    set = await closingSet();
    const { transfer, transport } = set.connect({
      balance: "pick-first",
      retry: { initialBackoffMs: 1 },
    });
    const retried: CallRetriedDetail[] = [];
    transport.pool.addEventListener("call:retried", (event) => retried.push(event.detail));
    assert.equal(await codeOf(transfer.exchange({}, OPTIONS)), Code.Unavailable);
    assert.deepEqual(
      set.servers.map(({ exchanges }) => exchanges),
      [1, 0],
      "the plain call ran once, and was not run again on the second server",
    );
    assert.equal(retried.length, 0);
  });

  it("a connection the server closes gracefully under a running handler: an idempotent call runs again elsewhere", async () => {
    set = await closingSet();
    const { transfer, transport } = set.connect({
      balance: "pick-first",
      retry: { initialBackoffMs: 1 },
    });
    const retried: CallRetriedDetail[] = [];
    transport.pool.addEventListener("call:retried", (event) => retried.push(event.detail));
    assert.equal((await transfer.idempotentExchange({}, OPTIONS)).receivedMessages, 1);
    assert.deepEqual(
      set.servers.map(({ exchanges }) => exchanges),
      [1, 1],
    );
    assert.equal(retried.length, 1);
    assert.equal(retried[0]?.error.code, Code.Unavailable);
  });
});
