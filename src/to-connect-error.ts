import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Codes for the errors libp2p raises, by error name (libp2p errors are told
 * apart by `.name`, not by class).
 */
const CODE_BY_ERROR_NAME: Readonly<Record<string, Code>> = {
  TimeoutError: Code.DeadlineExceeded,
  AbortError: Code.Canceled,
  UnsupportedProtocolError: Code.Unimplemented,
  TooManyOutboundProtocolStreamsError: Code.ResourceExhausted,
  TooManyInboundProtocolStreamsError: Code.ResourceExhausted,
  StreamBufferError: Code.ResourceExhausted,
  InvalidPeerIdError: Code.InvalidArgument,
  InvalidMultiaddrError: Code.InvalidArgument,
  InvalidParametersError: Code.InvalidArgument,
  FramingError: Code.Internal,
  StreamResetError: Code.Unavailable,
  StreamAbortedError: Code.Unavailable,
  StreamClosedError: Code.Unavailable,
  StreamStateError: Code.Unavailable,
  ConnectionClosedError: Code.Unavailable,
  ConnectionClosingError: Code.Unavailable,
  ConnectionFailedError: Code.Unavailable,
  MuxerClosedError: Code.Unavailable,
  DialError: Code.Unavailable,
  NoValidAddressesError: Code.Unavailable,
  EncryptionFailedError: Code.Unavailable,
  UnexpectedPeerError: Code.Unavailable,
  NotFoundError: Code.Unavailable,
  AggregateError: Code.Unavailable,
};

/**
 * Converts anything thrown at a libp2p boundary into a ConnectError: a
 * ConnectError passes through, a libp2p error gets the code its name maps
 * to, anything else gets `fallback`.
 *
 * @example
 * ```ts
 * import { Code } from "@connectrpc/connect";
 * import { toConnectError } from "p2prpc";
 *
 * try {
 *   await libp2p.dialProtocol(peer, protocol);
 * } catch (error) {
 *   throw toConnectError(error, Code.Unavailable); // UnsupportedProtocolError → Unimplemented
 * }
 * ```
 */
export function toConnectError(reason: unknown, fallback: Code): ConnectError {
  if (reason instanceof ConnectError) {
    return reason;
  }
  if (reason instanceof Error) {
    const code = CODE_BY_ERROR_NAME[reason.name] ?? fallback;
    return new ConnectError(reason.message, code, undefined, undefined, reason);
  }
  return ConnectError.from(reason, fallback);
}
