import assert from "node:assert/strict";
import type { Connection } from "@libp2p/interface";
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

describe("StreamOpener", () => {
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
