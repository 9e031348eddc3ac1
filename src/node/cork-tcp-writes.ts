// Relies on: @libp2p/tcp ~11.0.28 (the connection it hands to the encrypter,
// `TCPSocketMultiaddrConnection`, private in its typings): a `socket` field
// holding the `net.Socket`, `sendData(list)` that writes each chunk of
// the list with its own `socket.write()` until one reports a full socket
// and returns `{ sentBytes, canSendMore }`, and `sendClose(options)` that
// ends the socket once libp2p's own queue is empty (held chunks are written
// before it). Sizes: a bare 12-byte Yamux header (window update, FIN, RST,
// ping) leaves Noise as a 30-byte message (2-byte length prefix, 12 bytes,
// 16-byte tag): such messages wait for the turn's end, any other size is
// data. Checked on every connection whose address ends in /tcp: without
// that shape the connection is used as it is (libp2p's own writes) and the
// node logs it once. Delete when @libp2p/tcp (or Noise) coalesces a turn's
// writes itself: the canary in test/node/cork-tcp-writes.test.ts fails then.
import { Socket } from "node:net";
import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";
import { fallbackReporter, loggerOf, type ReportFallback } from "./fallback-reporter.ts";
import { wrapEncrypter } from "./wrap-encrypter.ts";

/** What `@libp2p/tcp`'s connection exposes and this module relies on. */
interface TcpMessageStream {
  socket?: unknown;
  sendData?: unknown;
  sendClose?: unknown;
  remoteAddr?: unknown;
}

/**
 * A Noise message carrying a bare 12-byte Yamux header (window update, FIN,
 * RST, ping): 2-byte length prefix + 12 bytes + 16-byte tag.
 */
const CONTROL_MESSAGE_BYTES = 2 + 12 + 16;

type SendData = (data: Iterable<Uint8Array>) => { sentBytes: number; canSendMore: boolean };

const NOTHING_SENT = { sentBytes: 0, canSendMore: true } as const;

/**
 * Wraps a connection encrypter (e.g. `noise()`) so that every TCP connection
 * it writes to its socket in as few `writev`s as possible, one per group of
 * messages within an event-loop turn. The turn's first data message leaves
 * at once, with whatever waited before it, so a lone call is never delayed;
 * bare Yamux headers (window updates, FIN, ping) and later messages wait
 * for the turn's end (`setImmediate`) and leave together. It never holds as
 * much as the socket's high-water mark, so bulk transfers are not held back.
 *
 * The messages that wait are held here, in a plain array, and handed to the
 * socket together inside one `cork()`/`uncork()`, rather than left in a
 * corked socket for the turn. A socket corked across a turn keeps its
 * waiting writes in the stream's own buffer, and with many calls in flight
 * that put V8's young generation into a regime where every scavenge promoted
 * ~0.65–0.9 MB of dead per-call objects (bench/README.md, "A GC regime, and
 * what held it").
 *
 * Why: without it, each Noise message costs two `write` syscalls (length
 * prefix, ciphertext), and a small call costs four per side once Yamux's
 * window update is counted. On loopback those syscalls were the largest
 * single cost of a unary call. Data order, backpressure (a full socket is
 * still reported), close (what waits is written before the socket ends) and
 * reset (what waits is dropped, as a reset drops libp2p's own queue) are
 * unchanged.
 *
 * Connections of other transports (QUIC, memory) are left untouched. A TCP
 * connection without the shape this relies on (a `net.Socket` in `socket`,
 * `sendData` and `sendClose` methods) is left untouched too, and the node
 * logs it once (`p2prpc:wrappers`). `createRpcNode` applies it to Noise;
 * use it when building a node yourself.
 *
 * @example
 * ```ts
 * import { noise } from "@libp2p/noise";
 * import { createLibp2p } from "libp2p";
 * import { corkTcpWrites } from "p2prpc/libp2p";
 *
 * const node = await createLibp2p({
 *   connectionEncrypters: [corkTcpWrites(noise())],
 *   // transports, streamMuxers, services …
 * });
 * ```
 */
export function corkTcpWrites<C>(
  factory: (components: C) => ConnectionEncrypter,
): (components: C) => ConnectionEncrypter {
  return wrapEncrypter(factory, (secure, components) => {
    const report = fallbackReporter("corkTcpWrites", loggerOf(components));
    return (connection, options) => secure(corkPerTurn(connection, report), options);
  });
}

/** Whether `address` (a multiaddr) is plain TCP: its last part before any /p2p is /tcp/<port>. */
function isTcpAddress(address: unknown): boolean {
  return /\/tcp\/\d+$/.test(String(address ?? "").replace(/\/p2p\/[^/]+$/, ""));
}

/** Installs the per-turn cork on a TCP connection; returns it unchanged otherwise. */
function corkPerTurn(connection: MessageStream, report: ReportFallback): MessageStream {
  const target = connection as unknown as TcpMessageStream;
  const socket = target.socket;
  const sendData = target.sendData;
  const sendClose = target.sendClose;
  if (
    !(socket instanceof Socket) ||
    typeof sendData !== "function" ||
    typeof sendClose !== "function"
  ) {
    if (isTcpAddress(target.remoteAddr)) {
      report(
        `a TCP connection (${String(target.remoteAddr)}) without a net.Socket in \`socket\` and \`sendData\` and \`sendClose\` methods`,
      );
    }
    return connection;
  }
  const send = sendData as SendData;
  /** Messages' chunks waiting for this turn's end, in order. */
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  /** A flush is scheduled for the end of this turn. */
  let turnOpen = false;
  /** This turn already sent data at once: more data waits for the turn's end. */
  let dataSent = false;
  /**
   * Hands what waits to the socket, or drops it once the socket can no
   * longer write (ended, or reset: a reset drops libp2p's own queue too).
   */
  const releaseHeld = (): void => {
    if (held.length === 0) {
      return;
    }
    const chunks = held;
    held = [];
    heldBytes = 0;
    if (socket.writable) {
      for (const chunk of chunks) {
        socket.write(chunk);
      }
    }
  };
  /**
   * Writes what waits, then `data` through libp2p's own `sendData`, in one
   * `writev`. What waits was already reported as sent, so it is written
   * whole; `data` gets libp2p's own answer, which stops at a full socket
   * and leaves the rest in libp2p's queue.
   */
  const writeHeld = (
    self: unknown,
    data: Iterable<Uint8Array> | undefined,
  ): { sentBytes: number; canSendMore: boolean } => {
    socket.cork();
    try {
      releaseHeld();
      return data === undefined ? NOTHING_SENT : send.call(self, data);
    } finally {
      socket.uncork();
    }
  };
  const endTurn = (): void => {
    turnOpen = false;
    dataSent = false;
    if (held.length > 0) {
      writeHeld(target, undefined);
    }
  };
  const openTurn = (): void => {
    if (!turnOpen) {
      turnOpen = true;
      setImmediate(endTurn);
    }
  };
  target.sendData = function corkedSendData(this: unknown, data: Iterable<Uint8Array>) {
    const bytes = (data as unknown as { byteLength: number }).byteLength;
    if (
      !socket.writable ||
      socket.writableLength + heldBytes + bytes >= socket.writableHighWaterMark
    ) {
      // Holding this would hide a full socket from libp2p: send everything
      // now. With nothing waiting, libp2p's own send, uncorked: corking a
      // lone send here cost (d) 14% of CPU per message (bench/README.md).
      return held.length === 0 ? send.call(this, data) : writeHeld(this, data);
    }
    if (bytes !== CONTROL_MESSAGE_BYTES && !dataSent) {
      // The first data of a turn leaves at once, with whatever waited.
      dataSent = true;
      openTurn();
      return writeHeld(this, data);
    }
    for (const chunk of data) {
      held.push(chunk);
    }
    heldBytes += bytes;
    openTurn();
    return { sentBytes: bytes, canSendMore: true };
  };
  const close = sendClose as (this: unknown, options: unknown) => Promise<void>;
  target.sendClose = function closeAfterHeld(this: unknown, options: unknown) {
    // What waits for the turn's end leaves before the socket ends.
    if (held.length > 0) {
      writeHeld(this, undefined);
    }
    return close.call(this, options);
  };
  return connection;
}
