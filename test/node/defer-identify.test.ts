import assert from "node:assert/strict";
import { identify } from "@libp2p/identify";
import type { Libp2p } from "@libp2p/interface";
import { memory } from "@libp2p/memory";
import { noise } from "@libp2p/noise";
import { yamux } from "@libp2p/yamux";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2pOptions } from "libp2p";
import { afterAll, afterEach, describe, it, vi } from "vitest";
import { deferIdentify } from "../../src/node/defer-identify.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";
import { memoryListen } from "../helpers/start-pair.ts";

interface FakeConnection {
  readonly id: string;
  status: string;
}

/**
 * What deferIdentify uses of a node's components, and a service factory
 * shaped as `identify()`'s: its service adds one `connection:open` listener
 * to the components' events when built, which counts the connections it was
 * handed, and can remove it (`forget()`).
 */
function fakeNode() {
  const events = new EventTarget();
  const identified: string[] = [];
  const components = { events };
  const factory = (given: { events: EventTarget }) => {
    const listener = (event: Event): void => {
      identified.push((event as CustomEvent<FakeConnection>).detail.id);
    };
    given.events.addEventListener("connection:open", listener);
    return {
      stop: async () => {},
      forget: () => given.events.removeEventListener("connection:open", listener),
    };
  };
  const open = (id: string): FakeConnection => {
    const connection = { id, status: "open" };
    events.dispatchEvent(new CustomEvent("connection:open", { detail: connection }));
    return connection;
  };
  return { components, factory, identified, open };
}

/** A fake node whose service is built through deferIdentify(delayMs). */
function deferred(delayMs: number) {
  const fake = fakeNode();
  const service = deferIdentify(fake.factory, delayMs)(fake.components);
  return { ...fake, service };
}

/** A fake node under deferIdentify(1000 ms), with fake timers (restored after each test). */
function deferredOnFakeTimers() {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  return deferred(1000);
}

describe("deferIdentify", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("hands a new connection to the service's listener once the delay passed, not before", () => {
    const { identified, open } = deferredOnFakeTimers();
    open("a");
    vi.advanceTimersByTime(999);
    assert.deepEqual(identified, []);
    vi.advanceTimersByTime(1);
    assert.deepEqual(identified, ["a"]);
  });

  it("skips a connection that closed during the delay", () => {
    const { identified, open } = deferredOnFakeTimers();
    const closing = open("closing");
    open("staying");
    closing.status = "closed";
    vi.advanceTimersByTime(1000);
    assert.deepEqual(identified, ["staying"]);
  });

  it("drops pending identifies when the service stops", async () => {
    const { service, identified, open } = deferredOnFakeTimers();
    open("a");
    await service.stop();
    vi.advanceTimersByTime(1000);
    assert.deepEqual(identified, []);
  });

  it("lets the service remove its listener: later connections reach it no more", () => {
    const { service, identified, open } = deferredOnFakeTimers();
    service.forget();
    open("a");
    vi.advanceTimersByTime(1000);
    assert.deepEqual(identified, []);
  });

  it("never keeps the process alive while it waits", async () => {
    const timers = vi.spyOn(globalThis, "setTimeout");
    const { service, open } = deferred(60_000);
    try {
      open("a");
      const timer = timers.mock.results[0]?.value as ReturnType<typeof setTimeout> | undefined;
      assert.ok(timer !== undefined);
      assert.equal(timer.hasRef(), false);
    } finally {
      timers.mockRestore();
      await service.stop();
    }
  });

  it("runs libp2p's identify late on that connection, and leaves its failure to the service: logged run, no unhandled rejection", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const logged: unknown[][] = [];
    const record = (...args: unknown[]): void => {
      logged.push(args);
    };
    const log = Object.assign(record, { error: record, trace: record, enabled: true });
    const events = new EventTarget();
    const components = {
      events,
      logger: { forComponent: (name: string) => (name === "libp2p:identify" ? log : () => {}) },
      nodeInfo: { userAgent: "test" },
      registrar: { unhandle: async () => {} },
    };
    const service = deferIdentify(identify(), 1000)(components as never) as unknown as {
      stop(): Promise<void>;
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const failure = new Error("no stream");
      const opened: string[] = [];
      const connection = {
        status: "open",
        remoteAddr: multiaddr("/ip4/127.0.0.1/tcp/1"),
        newStream: async (protocol: string) => {
          opened.push(protocol);
          throw failure;
        },
      };
      events.dispatchEvent(new CustomEvent("connection:open", { detail: connection }));
      await vi.advanceTimersByTimeAsync(999);
      assert.equal(opened.length, 0);
      assert.equal(logged.length, 0);
      await vi.advanceTimersByTimeAsync(1);
      assert.deepEqual(opened, ["/ipfs/id/1.0.0"]);
      assert.ok(
        logged.some((line) => line.includes(connection.remoteAddr)),
        `the service logged its run on that connection: ${String(logged)}`,
      );
      // Rejections not handled by now are reported before the next macrotask.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await service.stop();
    }
  });

  it("builds the service as it is, and logs it once, for components without events", () => {
    const log = captureWrapperLog();
    const service = { identify: () => undefined };
    let given: unknown;
    const built = deferIdentify((components: unknown) => {
      given = components;
      return service;
    }, 1000)({ logger: log.logger } as never);
    assert.equal(built, service);
    assert.deepEqual(given, { logger: log.logger }, "the components themselves, not a view");
    assert.equal(log.linesOf("deferIdentify").length, 1);
  });
});

describe("deferIdentify canary: unpatched @libp2p/identify", () => {
  const nodes: Libp2p[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("runs identify at connection open by default, on both sides", async () => {
    // When this fails, identify no longer runs at connection open by
    // default: deferIdentify has nothing left to defer.
    const stack = () =>
      ({
        addresses: { listen: memoryListen() },
        transports: [memory()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify() },
      }) as unknown as Libp2pOptions;
    const a = await createLibp2p(stack());
    const b = await createLibp2p(stack());
    nodes.push(a, b);
    const deadline = AbortSignal.timeout(10_000);
    const identified = (node: Libp2p) =>
      new Promise((resolve, reject) => {
        node.addEventListener("peer:identify", resolve, { once: true });
        deadline.addEventListener("abort", () => reject(deadline.reason), { once: true });
      });
    const both = Promise.all([identified(a), identified(b)]);
    await a.dial(b.getMultiaddrs(), { signal: deadline });
    await both;
  });
});
