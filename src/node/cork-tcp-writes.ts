import { Socket } from "node:net";
import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";
import { wrapEncrypter } from "./wrap-encrypter.ts";

/** What `@libp2p/tcp`'s connection exposes and this module relies on. */
interface TcpMessageStream {
  socket?: unknown;
  sendData?: unknown;
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
 * Connections of other transports (QUIC, memory) are left untouched.
 * `createRpcNode` applies it to Noise; use it when building a node yourself.
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
  return wrapEncrypter(
    factory,
    (secure) => (connection, options) => secure(corkPerTurn(connection), options),
  );
}

/** Installs the per-turn cork on a TCP connection; returns it unchanged otherwise. */
function corkPerTurn(connection: MessageStream): MessageStream {
  const target = connection as unknown as TcpMessageStream;
  const socket = target.socket;
  const sendData = target.sendData;
  if (!(socket instanceof Socket) || typeof sendData !== "function") {
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
