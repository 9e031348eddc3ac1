// Relies on: @libp2p/tcp ~11.0.28 (the connection it hands to the encrypter,
// `TCPSocketMultiaddrConnection`, private in its typings): a `socket` field
// holding the `net.Socket`, and `sendData(list)` that writes each chunk of
// the list with its own `socket.write()` and returns `{ sentBytes,
// canSendMore }`. Sizes: a bare 12-byte Yamux header (window update, FIN,
// RST, ping) leaves Noise as a 30-byte message (2-byte length prefix, 12
// bytes, 16-byte tag): such messages wait for the turn's end, any other
// size is data. Checked on every connection whose address ends in /tcp:
// without that shape the connection is used as it is (libp2p's own writes)
// and the node logs it once. Delete when @libp2p/tcp (or Noise) coalesces a
// turn's writes itself: the canary in test/node/cork-tcp-writes.test.ts
// fails then.
import { Socket } from "node:net";
import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";
import { fallbackReporter, loggerOf, type ReportFallback } from "./fallback-reporter.ts";
import { wrapEncrypter } from "./wrap-encrypter.ts";

/** What `@libp2p/tcp`'s connection exposes and this module relies on. */
interface TcpMessageStream {
  socket?: unknown;
  sendData?: unknown;
  remoteAddr?: unknown;
}

/**
 * A Noise message carrying a bare 12-byte Yamux header (window update, FIN,
 * RST, ping): 2-byte length prefix + 12 bytes + 16-byte tag.
 */
const CONTROL_MESSAGE_BYTES = 2 + 12 + 16;

type SendData = (data: unknown) => { sentBytes: number; canSendMore: boolean };

/**
 * Wraps a connection encrypter (e.g. `noise()`) so that every TCP connection
 * it writes to its socket in as few `writev`s as possible: the socket is
 * corked within an event-loop turn. The turn's first data message leaves at
 * once, with whatever waited before it, so a lone call is never delayed;
 * bare Yamux headers (window updates, FIN, ping) and later messages wait
 * for the turn's end (`setImmediate`) and leave together. It never holds as
 * much as the socket's high-water mark, so bulk transfers are not held back.
 *
 * Why: without it, each Noise message costs two `write` syscalls (length
 * prefix, ciphertext), and a small call costs four per side once Yamux's
 * window update is counted. On loopback those syscalls were the largest
 * single cost of a unary call. Data order, backpressure (`write` still
 * reports a full socket), close (`end()` uncorks) and reset are unchanged.
 *
 * Connections of other transports (QUIC, memory) are left untouched. A TCP
 * connection without the shape this relies on (a `net.Socket` in `socket`,
 * a `sendData` method) is left untouched too, and the node logs it once
 * (`p2prpc:wrappers`). `createRpcNode` applies it to Noise; use it when
 * building a node yourself.
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
  if (!(socket instanceof Socket) || typeof sendData !== "function") {
    if (isTcpAddress(target.remoteAddr)) {
      report(
        `a TCP connection (${String(target.remoteAddr)}) without a net.Socket in \`socket\` and a \`sendData\` method`,
      );
    }
    return connection;
  }
  const send = sendData as SendData;
  let corked = false;
  /** A flush is scheduled for the end of this turn. */
  let turnOpen = false;
  /** This turn already sent data at once: more data waits for the turn's end. */
  let dataSent = false;
  const flush = (): void => {
    if (corked) {
      corked = false;
      socket.uncork();
    }
  };
  const endTurn = (): void => {
    turnOpen = false;
    dataSent = false;
    flush();
  };
  target.sendData = function corkedSendData(this: unknown, data: unknown) {
    const bytes = (data as { byteLength: number }).byteLength;
    if (!socket.writable || socket.writableLength + bytes >= socket.writableHighWaterMark) {
      // Holding this would make write() report a full socket where an
      // uncorked socket would not: send everything now, uncorked.
      flush();
      return send.call(this, data);
    }
    if (!corked) {
      socket.cork();
      corked = true;
    }
    const result = send.call(this, data);
    if (bytes !== CONTROL_MESSAGE_BYTES && !dataSent) {
      // The first data of a turn leaves at once, with whatever waited.
      dataSent = true;
      flush();
    }
    if (!turnOpen) {
      turnOpen = true;
      setImmediate(endTurn);
    }
    return result;
  };
  return connection;
}
