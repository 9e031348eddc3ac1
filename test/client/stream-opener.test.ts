import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Connection, type Stream, UnsupportedProtocolError } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { describe, it } from "vitest";
import { type Dialer, StreamOpener } from "../../src/client/stream-opener.ts";

const PEER = multiaddr(
  "/memory/stream-opener-test/p2p/12D3KooWGC6TvWhfapngX6wvJHMYvKpDMXPb3ZnCZ6dMoaMtimQ5",
);
const PROTOCOL = "/p2prpc-test/opener/1.0.0";

/** A dialer whose one connection opens streams that never finish negotiating. */
function silentPeer(): { dialer: Dialer; opened: () => number } {
  let opened = 0;
  const connection = {
    newStream: () => {
      opened++;
      return new Promise(() => {});
    },
  } as unknown as Connection;
  return { dialer: { dial: async () => connection }, opened: () => opened };
}

/** A dialer whose one connection opens streams that negotiate when the test says so. */
function controlledPeer(): {
  dialer: Dialer;
  dials: () => number;
  pending: () => number;
  negotiate: (outcome?: Error) => void;
} {
  let dials = 0;
  const waiting: { resolve: (stream: Stream) => void; reject: (error: Error) => void }[] = [];
  const connection = {
    newStream: () =>
      new Promise<Stream>((resolve, reject) => {
        waiting.push({ resolve, reject });
      }),
  } as unknown as Connection;
  return {
    dialer: {
      dial: async () => {
        dials++;
        return connection;
      },
    },
    dials: () => dials,
    pending: () => waiting.length,
    negotiate: (outcome) => {
      const next = waiting.shift();
      assert.ok(next, "a stream is being negotiated");
      if (outcome === undefined) {
        next.resolve({ protocol: PROTOCOL } as unknown as Stream);
      } else {
        next.reject(outcome);
      }
    },
  };
}

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("StreamOpener", () => {
  it("on a new connection, the first stream negotiates alone; the rest follow once it did", async () => {
    const peer = controlledPeer();
    const opener = new StreamOpener(peer.dialer, PEER, 16);
    const signal = AbortSignal.timeout(5000);
    const first = opener.open(PROTOCOL, signal);
    const rest = [opener.open(PROTOCOL, signal), opener.open(PROTOCOL, signal)];
    await until(() => peer.dials() === 3);
    assert.equal(peer.pending(), 1, "only the first stream is opened before it negotiated");
    peer.negotiate();
    await first;
    await until(() => peer.pending() === 2);
    peer.negotiate();
    peer.negotiate();
    await Promise.all(rest);
    // Once warm, a connection opens streams at once, concurrently.
    const later = [opener.open(PROTOCOL, signal), opener.open(PROTOCOL, signal)];
    await until(() => peer.pending() === 2);
    peer.negotiate();
    peer.negotiate();
    await Promise.all(later);
  }, 5000);

  it("a protocol the peer refuses is Unimplemented, naming the protocol", async () => {
    const peer = controlledPeer();
    const opener = new StreamOpener(peer.dialer, PEER, 16);
    const opening = opener.open(PROTOCOL, AbortSignal.timeout(5000));
    await until(() => peer.pending() === 1);
    peer.negotiate(new UnsupportedProtocolError("protocol selection failed"));
    await assert.rejects(opening, (error) => {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.Unimplemented);
      assert.match(error.message, /peer does not serve \/p2prpc-test\/opener\/1\.0\.0/);
      return true;
    });
  }, 5000);

  it("a dial that fails is Unavailable, with libp2p's error as the cause", async () => {
    const cause = new Error("connection refused");
    const opener = new StreamOpener(
      {
        dial: async () => {
          throw cause;
        },
      },
      PEER,
      16,
    );
    await assert.rejects(opener.open(PROTOCOL, AbortSignal.timeout(5000)), (error) => {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.Unavailable);
      assert.equal(error.cause, cause);
      return true;
    });
  }, 5000);

  it("a libp2p timeout that is not the call's (a dead connection aborted by the monitor) is Unavailable, not DeadlineExceeded", async () => {
    // libp2p's connection monitor aborts a connection that stopped answering
    // pings with a TimeoutError; a stream being opened on it fails with that.
    const cause = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const connection = {
      newStream: () => Promise.reject(cause),
    } as unknown as Connection;
    const opener = new StreamOpener({ dial: async () => connection }, PEER, 16);
    const signal = AbortSignal.timeout(5000);
    await assert.rejects(opener.open(PROTOCOL, signal), (error) => {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.Unavailable, error.message);
      assert.equal(error.cause, cause);
      return true;
    });
    assert.equal(signal.aborted, false);
  }, 5000);

  it("a dial that outlasts dialTimeoutMs is Unavailable, saying so", async () => {
    let aborted = false;
    const opener = new StreamOpener(
      {
        dial: (_peer, options) =>
          new Promise((_resolve, reject) => {
            options?.signal?.addEventListener("abort", () => {
              aborted = true;
              reject(options.signal?.reason);
            });
          }),
      },
      PEER,
      16,
      20,
    );
    await assert.rejects(opener.open(PROTOCOL, AbortSignal.timeout(5000)), (error) => {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.Unavailable);
      assert.match(error.message, /no connection to the peer within 20 ms/);
      return true;
    });
    assert.ok(aborted, "the dial itself was aborted");
  }, 5000);

  it("a call waiting behind a connection's first stream ends when its own signal aborts", async () => {
    const { dialer, opened } = silentPeer();
    const opener = new StreamOpener(dialer, PEER, 16);
    const first = new AbortController();
    void opener.open(PROTOCOL, first.signal).catch(() => {});
    const second = new AbortController();
    const waiting = opener.open(PROTOCOL, second.signal);
    const reason = new Error("deadline of the second call");
    setImmediate(() => second.abort(reason));
    await assert.rejects(waiting, (error) => error === reason);
    assert.equal(opened(), 1, "the second call never opened a stream of its own");
    first.abort();
  }, 5000);

  it("a call whose signal already aborted does not wait at all", async () => {
    const { dialer } = silentPeer();
    const opener = new StreamOpener(dialer, PEER, 16);
    void opener.open(PROTOCOL, new AbortController().signal).catch(() => {});
    const reason = new Error("already over");
    await assert.rejects(
      opener.open(PROTOCOL, AbortSignal.abort(reason)),
      (error) => error === reason,
    );
  }, 5000);

  it("a stream open the muxer never finishes (and whose signal it ignores) ends at the call's signal; a late stream is reset", async () => {
    // As a QUIC connection out of stream credit did in the soak (docs/RELIABILITY.md).
    let finish: ((stream: unknown) => void) | undefined;
    const connection = {
      newStream: () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
    } as unknown as Connection;
    const opener = new StreamOpener({ dial: async () => connection }, PEER, 16);
    const call = new AbortController();
    const opening = opener.open(PROTOCOL, call.signal);
    const reason = new Error("deadline");
    setImmediate(() => call.abort(reason));
    await assert.rejects(opening, (error) => error === reason);
    let abortedWith: unknown;
    finish?.({ abort: (error: unknown) => (abortedWith = error) });
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(abortedWith instanceof Error, "the stream that came too late was reset");
  }, 5000);
});
