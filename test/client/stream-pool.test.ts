// StreamPool on its own, with stand-in call streams: which idle stream a call
// gets, which ones are closed, and when. The e2e tests (stream-reuse) show the
// same rules on real streams; these pin each rule down by itself.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, vi } from "vitest";
import type { CallStream } from "../../src/client/call-stream.ts";
import { StreamPool } from "../../src/client/stream-pool.ts";

interface StubStream {
  readonly name: string;
  reusable: boolean;
  idleSince: number;
  closed: number;
  close(): void;
}

function stub(name: string, reusable = true): StubStream & CallStream {
  const stream: StubStream = {
    name,
    reusable,
    idleSince: 0,
    closed: 0,
    close() {
      this.closed++;
    },
  };
  return stream as StubStream & CallStream;
}

const A = "/p2prpc/test.v1.Echo/Unary/1.0.0";
const B = "/p2prpc/test.v1.Echo/ServerStream/1.0.0";

describe("StreamPool", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands a method's idle streams back newest first, and only to that method", () => {
    const pool = new StreamPool({ maxIdle: 8, idleTimeoutMs: 60_000 });
    const first = stub("first");
    const second = stub("second");
    pool.give(A, first);
    pool.give(A, second);
    assert.equal(pool.take(B), undefined);
    assert.equal(pool.take(A), second);
    assert.equal(pool.take(A), first);
    assert.equal(pool.take(A), undefined);
    assert.equal(first.closed + second.closed, 0);
  });

  it("closes a stream that cannot carry another call instead of keeping it", () => {
    const pool = new StreamPool({ maxIdle: 8, idleTimeoutMs: 60_000 });
    const broken = stub("broken", false);
    pool.give(A, broken);
    assert.equal(broken.closed, 1);
    assert.equal(pool.take(A), undefined);
  });

  it("with maxIdle 0 keeps nothing", () => {
    const pool = new StreamPool({ maxIdle: 0, idleTimeoutMs: 60_000 });
    const stream = stub("s");
    pool.give(A, stream);
    assert.equal(stream.closed, 1);
    assert.equal(pool.take(A), undefined);
  });

  it("when full, closes the stream idle the longest, whatever its method", () => {
    const pool = new StreamPool({ maxIdle: 2, idleTimeoutMs: 60_000 });
    const oldest = stub("oldest");
    pool.give(B, oldest);
    vi.advanceTimersByTime(10);
    const middle = stub("middle");
    pool.give(A, middle);
    vi.advanceTimersByTime(10);
    const newest = stub("newest");
    pool.give(A, newest);
    assert.equal(oldest.closed, 1, "the oldest idle stream made room");
    assert.equal(pool.take(B), undefined);
    assert.equal(pool.take(A), newest);
    assert.equal(pool.take(A), middle);
  });

  it("skips and closes an idle stream that stopped being reusable (the server closed it)", () => {
    const pool = new StreamPool({ maxIdle: 8, idleTimeoutMs: 60_000 });
    const sound = stub("sound");
    const closedByServer = stub("closed by server");
    pool.give(A, sound);
    pool.give(A, closedByServer);
    closedByServer.reusable = false;
    assert.equal(pool.take(A), sound);
    assert.equal(closedByServer.closed, 1);
  });

  it("closes streams idle for idleTimeoutMs, and keeps younger ones", () => {
    const pool = new StreamPool({ maxIdle: 8, idleTimeoutMs: 1000 });
    const old = stub("old");
    pool.give(A, old);
    vi.advanceTimersByTime(600);
    const young = stub("young");
    pool.give(A, young);
    vi.advanceTimersByTime(600);
    assert.equal(old.closed, 1, "idle 1.2 s: closed by the sweep");
    assert.equal(young.closed, 0, "idle 0.6 s: kept");
    assert.equal(pool.take(A), young);
    assert.equal(vi.getTimerCount(), 1, "the sweeper runs while the pool may hold streams");
    vi.advanceTimersByTime(1000);
    assert.equal(vi.getTimerCount(), 0, "an empty pool stops its sweeper");
  });
});
