// Relies on: libp2p ^3.3.11 and @libp2p/utils ~7.4.1. libp2p's
// `Connection.newStream` skips its own multistream-select when the muxer's
// stream already has a `protocol`, and passes `negotiateFully` on to the
// muxer's `createStream`; every muxer's stream is an @libp2p/utils
// `AbstractStream` whose `onData(data)` method (not in the `Stream`
// typings) receives what the remote sent, and whose `protocol` may be set.
// multistream-select 1.0.0 frames each line as a varint length, the text
// and "\n"; a server that serves the protocol echoes both proposal lines,
// one that does not answers "na". The muxer wrappers check the stream's
// shape (`canSelectOptimistically`) before using this: a stream without
// `onData` negotiates in full, as libp2p does. Delete when libp2p honours
// `negotiateFully: false` itself: the canary in
// test/node/optimistic-select.test.ts fails then.
import { type Stream, UnsupportedProtocolError } from "@libp2p/interface";
import * as varint from "uint8-varint";
import type { Uint8ArrayList } from "uint8arraylist";
import { concatFrames } from "../wire/encode-frame.ts";

/** multistream-select's own protocol id, the first line either side sends. */
const MULTISTREAM_ID = "/multistream/1.0.0";

/** Where a stream opened with optimistic protocol select stands. */
export interface OptimisticSelection {
  /** The protocol proposed. */
  readonly protocol: string;
  /** True once the remote's echo of the proposal arrived: it serves the protocol. */
  readonly confirmed: boolean;
  /**
   * Resolves when the remote confirms the protocol; rejects when it refuses
   * it (answers anything but the echo) or the stream ends first.
   */
  readonly confirmation: Promise<void>;
}

/** The method of a libp2p `AbstractStream` this module hooks (not in the `Stream` typings). */
interface HookedStream {
  onData(data: Uint8Array | Uint8ArrayList): void;
}

const selections = new WeakMap<Stream, OptimisticSelection>();
const proposals = new Map<string, Uint8Array>();

/**
 * The selection of a stream opened with optimistic protocol select
 * (`negotiateFully: false` on a node whose muxers `optimisticSelect` wraps);
 * `undefined` for a stream negotiated in full.
 *
 * @example
 * ```ts
 * const stream = await connection.newStream(protocol, { negotiateFully: false });
 * await optimisticSelectionOf(stream)?.confirmation; // the remote serves `protocol`
 * ```
 */
export function optimisticSelectionOf(stream: Stream): OptimisticSelection | undefined {
  return selections.get(stream);
}

/**
 * Whether `stream` has the shape `selectOptimistically` relies on: an
 * `onData` method to hook, `send`, and a `protocol` field.
 */
export function canSelectOptimistically(stream: Stream): boolean {
  const candidate = stream as Partial<Stream & HookedStream> | null;
  return (
    typeof candidate?.onData === "function" &&
    typeof candidate.send === "function" &&
    "protocol" in candidate
  );
}

/**
 * Starts multistream-select on a new outbound stream without waiting for its
 * answer: sends the proposal (`/multistream/1.0.0\n` and `<protocol>\n`, each
 * varint length-prefixed) at once, marks the stream as speaking `protocol`
 * (so libp2p's `newStream` skips its own select), and strips the remote's
 * echo of both lines from the front of what the stream reads. Data written
 * next follows the proposal on the wire, so the first request does not wait
 * a round trip.
 *
 * Anything else at the front of the stream (`na` from a remote that does not
 * serve the protocol) aborts the stream with `UnsupportedProtocolError`.
 *
 * Do not close such a stream for writing right after the first data (nor,
 * in fact, a fully negotiated one right after the echo): libp2p 3 loses, or
 * throws on, an end of stream that reaches the remote while it is still
 * negotiating and handing the stream to its handler. p2prpc never does: the
 * end of a request is an `END_OF_INPUT` frame, and a stream is closed only
 * when idle, after a whole call.
 */
export function selectOptimistically(stream: Stream, protocol: string): OptimisticSelection {
  const hooked = stream as unknown as HookedStream;
  const expected = proposalOf(protocol);
  let matched = 0;
  let settle: ((error?: Error) => void) | undefined;
  const confirmation = new Promise<void>((resolve, reject) => {
    settle = (error) => {
      settle = undefined;
      stream.removeEventListener("close", onClose);
      stream.removeEventListener("remoteCloseWrite", onRemoteEnd);
      restore(hooked, onData);
      if (error === undefined) {
        selection.confirmed = true;
        resolve();
      } else {
        reject(error);
      }
    };
  });
  // A caller that never looks at the confirmation must not see an unhandled rejection.
  confirmation.catch(() => {});
  const selection = { protocol, confirmed: false, confirmation };
  const onClose = (event: Event): void => {
    const error = (event as Event & { error?: Error }).error;
    settle?.(
      error ?? new UnsupportedProtocolError(`the stream ended before ${protocol} was confirmed`),
    );
  };
  // A remote that ends its side before confirming does not serve the
  // protocol (over QUIC a refusal's reset can arrive as a plain end, its "na"
  // dropped): the stream is half closed and would never fire "close".
  const onRemoteEnd = (): void => {
    stream.abort(
      new UnsupportedProtocolError(`the remote ended the stream before confirming ${protocol}`),
    );
  };
  const onData = hooked.onData;
  hooked.onData = (data) => {
    const bytes = data instanceof Uint8Array ? data : data.subarray();
    let at = 0;
    while (at < bytes.length && matched < expected.length) {
      if (bytes[at] !== expected[matched]) {
        stream.abort(new UnsupportedProtocolError(`the remote does not serve ${protocol}`));
        return;
      }
      at++;
      matched++;
    }
    if (matched < expected.length) {
      return;
    }
    settle?.();
    if (at < bytes.length) {
      onData.call(hooked, bytes.subarray(at));
    }
  };
  stream.addEventListener("close", onClose);
  stream.addEventListener("remoteCloseWrite", onRemoteEnd);
  stream.protocol = protocol;
  selections.set(stream, selection);
  stream.send(expected);
  return selection;
}

/**
 * Puts back the `onData` this module replaced on one stream. By assignment,
 * not `delete`: deleting a property V8 did not add last turns the stream into
 * a dictionary-mode object, and every later property access on it (each call
 * a pooled stream carries) gets slower.
 */
function restore(stream: HookedStream, original: HookedStream["onData"]): void {
  stream.onData = original;
}

/** The proposal for `protocol`, which is also the echo that confirms it. */
function proposalOf(protocol: string): Uint8Array {
  let proposal = proposals.get(protocol);
  if (proposal === undefined) {
    const encoder = new TextEncoder();
    const lines = [encoder.encode(`${MULTISTREAM_ID}\n`), encoder.encode(`${protocol}\n`)];
    proposal = concatFrames(lines.flatMap((line) => [varint.encode(line.length), line]));
    proposals.set(protocol, proposal);
  }
  return proposal;
}
