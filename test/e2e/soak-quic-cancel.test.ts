import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Pair, startPair } from "../helpers/start-pair.ts";

/**
 * Calls, of which a random 30% are aborted one event-loop turn after they
 * start: with the bug, the connection could open no stream after about
 * 5,000 (about 1,500 cancelled, past createRpcNode's QUIC limit of 1024).
 */
const CALLS = 8000;
const CANCEL_RATIO = 0.3;
const IN_FLIGHT = 64;
/** Each call's deadline: a wedged connection fails the test instead of hanging it. */
const OPTIONS = { timeoutMs: 5000 };

describe("QUIC: calls cancelled mid-way do not use up the connection's streams", () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair("quic");
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it(`${CALLS} calls, ${CANCEL_RATIO * 100}% cancelled as their answer comes, then more calls on the same connection`, {
    timeout: 60_000,
  }, async () => {
    const ended: Record<string, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < CALLS) {
          const controller = new AbortController();
          const call = pair.echo.unary(
            { text: `c${next++}` },
            { ...OPTIONS, signal: controller.signal },
          );
          // One turn later: the request has left, the answer may be on its way
          // (the pattern that wedged QUIC connections, docs/RELIABILITY.md "Soak").
          if (Math.random() < CANCEL_RATIO) {
            setImmediate(() => controller.abort());
          }
          const code = await call.then(
            () => "OK",
            (error: unknown) => Code[ConnectError.from(error).code] ?? "?",
          );
          ended[code] = (ended[code] ?? 0) + 1;
        }
      }),
    );
    // Each ended, cancelled or (when the answer came first) OK; none timed out.
    assert.ok(
      Object.keys(ended).every((code) => code === "Canceled" || code === "OK"),
      JSON.stringify(ended),
    );
    const after = await Promise.all(
      Array.from({ length: 200 }, (_, i) => pair.echo.unary({ text: `after ${i}` }, OPTIONS)),
    );
    assert.equal(after.length, 200);
    assert.equal(pair.client.getConnections(pair.server.peerId).length, 1, "the same connection");
  });
});
