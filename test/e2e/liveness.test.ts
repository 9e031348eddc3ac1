import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { afterAll, afterEach, beforeAll, describe, it } from "vitest";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { createLibp2pTransport, createRpcNode } from "../../src/index.ts";
import { fourKinds } from "../helpers/four-kinds.ts";
import { QueueIterable } from "../helpers/queue-iterable.ts";
import { type Fixture, spawnFixture } from "../helpers/spawn-fixture.ts";

/** The client's liveness bound in these tests: short, so they end fast. */
const LIVENESS_TIMEOUT_MS = 1500;
/** What a detection may take over the bound: timers and a busy machine. */
const SLACK_MS = 1000;
/** Every call's deadline: longer than the bound, so a failure is the monitor's, not the deadline's. */
const CALL_TIMEOUT_MS = 15_000;

const LISTEN = { tcp: "/ip4/127.0.0.1/tcp/0", quic: "/ip4/127.0.0.1/udp/0/quic-v1" } as const;

describe.each(["tcp", "quic"] as const)("liveness over %s", (kind) => {
  let dir: string;
  let client: Libp2p;
  const servers = new Set<Fixture>();

  /** Starts a server process listening on `address`; resolves with the address it got. */
  async function startServer(address: string): Promise<{ server: Fixture; address: string }> {
    const server = spawnFixture("transfer-server.ts", ["--key", join(dir, "server.key"), address]);
    servers.add(server);
    const line = await server.line(/^LISTEN /);
    await server.line(/^READY$/);
    return { server, address: line.slice("LISTEN ".length) };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p2prpc-liveness-"));
    client = await createRpcNode({ listen: [], livenessTimeoutMs: LIVENESS_TIMEOUT_MS });
  });
  afterEach(async () => {
    await Promise.all([...servers].map((server) => server.kill()));
    servers.clear();
  });
  afterAll(async () => {
    await client?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const signal of ["SIGKILL", "SIGSTOP"] as const) {
    it(`a call in flight to a server hit by ${signal} fails Unavailable within the bound; the next call redials`, async () => {
      const first = await startServer(LISTEN[kind]);
      const transfer = createClient(
        TransferService,
        createLibp2pTransport({
          libp2p: client,
          peer: first.address,
          defaultTimeoutMs: CALL_TIMEOUT_MS,
        }),
      );
      // A call in flight: a bidi stream that has had one answer and waits for more.
      const requests = new QueueIterable<{ data: Uint8Array }>();
      const responses = transfer.echo(requests)[Symbol.asyncIterator]();
      requests.push({ data: new Uint8Array([1]) });
      assert.deepEqual((await responses.next()).value?.data, new Uint8Array([1]));

      first.server.child.kill(signal);
      const started = performance.now();
      const error = await responses.next().then(
        () => assert.fail("the call went on"),
        (reason: unknown) => ConnectError.from(reason),
      );
      const elapsedMs = performance.now() - started;
      assert.equal(error.code, Code.Unavailable, `${Code[error.code]} after ${elapsedMs} ms`);
      assert.ok(
        elapsedMs < LIVENESS_TIMEOUT_MS + SLACK_MS,
        `Unavailable after ${Math.round(elapsedMs)} ms, over the ${LIVENESS_TIMEOUT_MS} ms bound`,
      );
      requests.end();

      // The server comes back (woken, or restarted on its address with its key),
      // and the next call on the same transport dials it again.
      if (signal === "SIGSTOP") {
        first.server.child.kill("SIGCONT");
      } else {
        await first.server.exited();
        await startServer(first.address.replace(/\/p2p\/.*$/, ""));
      }
      const answer = await transfer.exchange({ data: new Uint8Array([2]) });
      assert.equal(answer.receivedMessages, 1);
    });
  }

  it("every kind of call in flight to a server hit by SIGKILL fails Unavailable within the bound; calls of every kind succeed once it restarted on its key and port", async () => {
    const first = await startServer(LISTEN[kind]);
    const transfer = createClient(
      TransferService,
      createLibp2pTransport({
        libp2p: client,
        peer: first.address,
        defaultTimeoutMs: CALL_TIMEOUT_MS,
      }),
    );
    // In flight: a download with more to come, an upload and a bidi call that
    // have sent one message, each after a first answer or a first message.
    // (A unary call started after the kill is not "in flight": over QUIC its
    // retry dials the dead address, see docs/RELIABILITY.md, "Real faults".)
    const downloads = transfer
      .download({ respondBytes: 1024, respondCount: 100_000 })
      [Symbol.asyncIterator]();
    assert.equal((await downloads.next()).done, false);
    const uploads = new QueueIterable<{ data: Uint8Array }>();
    const upload = transfer.upload(uploads);
    uploads.push({ data: new Uint8Array([1]) });
    const echoes = new QueueIterable<{ data: Uint8Array }>();
    const echo = transfer.echo(echoes)[Symbol.asyncIterator]();
    echoes.push({ data: new Uint8Array([1]) });
    assert.deepEqual((await echo.next()).value?.data, new Uint8Array([1]));

    first.server.child.kill("SIGKILL");
    const started = performance.now();
    const failure = async (call: Promise<unknown>): Promise<{ code: Code; afterMs: number }> => {
      const error = await call.then(
        () => assert.fail("the call went on"),
        (reason: unknown) => ConnectError.from(reason),
      );
      return { code: error.code, afterMs: performance.now() - started };
    };
    const drain = async (): Promise<void> => {
      // Messages already received are read; then the call must fail.
      for (let next = await downloads.next(); !next.done; next = await downloads.next()) {}
    };
    const outcomes = await Promise.all([failure(drain()), failure(upload), failure(echo.next())]);
    console.log(
      `${kind} SIGKILL: ${outcomes.map(({ code, afterMs }) => `${Code[code]} ${afterMs.toFixed(0)} ms`).join(", ")}`,
    );
    for (const [index, { code, afterMs }] of outcomes.entries()) {
      const what = ["server streaming", "client streaming", "bidi"][index];
      assert.equal(code, Code.Unavailable, `${what}: ${Code[code]} after ${afterMs} ms`);
      assert.ok(
        afterMs < LIVENESS_TIMEOUT_MS + SLACK_MS,
        `${what}: Unavailable after ${Math.round(afterMs)} ms, over the ${LIVENESS_TIMEOUT_MS} ms bound`,
      );
    }
    uploads.end();
    echoes.end();

    // Restarted with the same key on the same port: the same transport's
    // next calls, of every kind, succeed with nothing done by the application.
    await first.server.exited();
    await startServer(first.address.replace(/\/p2p\/.*$/, ""));
    await fourKinds(transfer, {
      messageBytes: 1024,
      messages: 4,
      timeoutMs: CALL_TIMEOUT_MS,
      seed: 7,
    });
  });
});
