import { Code, ConnectError } from "@connectrpc/connect";
import type { Connection, Stream } from "@libp2p/interface";
import { CallControl } from "../call-control.ts";
import { FramingError } from "../wire/frame-decoder.ts";
import { FrameReader } from "../wire/frame-reader.ts";
import { FrameType } from "../wire/frame-type.ts";
import { FrameWriter } from "../wire/frame-writer.ts";
import { HeaderTimeout } from "./header-timeout.ts";
import { resetIfClosedInCall } from "./reset-if-closed-in-call.ts";
import { serveCall } from "./serve-call.ts";
import type { ServedMethod } from "./served-method.ts";
import type { InFlightCall } from "./server-drain.ts";

/**
 * Serves every call the client runs on one negotiated stream, one after the
 * other, until the client closes its side. A broken stream is reset; the
 * connection and other streams are not touched.
 */
export async function serveStream(
  stream: Stream,
  connection: Connection,
  method: ServedMethod,
): Promise<void> {
  // The stream's call in flight, as the drain counts it: one record per
  // stream, whose `control` is the call's while one runs.
  const call: InFlightCall = { control: undefined, stream };
  let endError: Error | undefined;
  const clientGoneError = (): ConnectError =>
    new ConnectError(
      endError === undefined
        ? "client closed the stream during the call"
        : "stream reset by client",
      Code.Canceled,
      undefined,
      undefined,
      endError,
    );
  const reader = new FrameReader(stream, {
    maxPayloadBytes: method.readMaxBytes + 1,
    onEnd: (error) => {
      endError = error;
      call.control?.abortByClient(clientGoneError());
    },
  });
  const writer = new FrameWriter(stream, { tracker: method.tracker });
  const headerTimeout = new HeaderTimeout(stream, reader, method.headerTimeoutMs);
  method.drain.opened(call);
  resetIfClosedInCall(stream, () => call.control !== undefined);
  // A draining server closes streams that sit between calls; a call in
  // progress may finish (the drain cancels it after its grace period), and
  // the loop then stops. A route's own shutdown signal aborts calls at once.
  const onShutdown = (): void => {
    const { control } = call;
    if (control === undefined) {
      method.drain.close(stream, writer.flushed()).catch(() => {});
    } else if (!method.drain.draining) {
      control.abort(method.shutdownSignal.reason);
    }
  };
  method.shutdownSignal.addEventListener("abort", onShutdown);
  try {
    for (;;) {
      if (method.shutdownSignal.aborted) {
        break;
      }
      let first = headerTimeout.tryRead();
      if (first === undefined) {
        first = await headerTimeout.wait();
        headerTimeout.arrived();
      }
      if (first === undefined && endsByReset(connection)) {
        // The client ended the stream in IDLE, or reset it: over QUIC the two
        // look alike, and closing a stream the client reset never gives the
        // connection's stream credit back (@chainsafe/libp2p-quic 2.x; a
        // connection wedged after ~1,000 cancelled calls, bench/quic-reset-credit.ts).
        // A reset reads as a clean end there too (PROTOCOL.md 14).
        stream.abort(new Error("the client ended the stream"));
        return;
      }
      if (first === undefined || method.shutdownSignal.aborted) {
        break;
      }
      if (first.type !== FrameType.RequestHeader) {
        throw new FramingError(`expected a REQUEST_HEADER frame, got type ${first.type}`);
      }
      const control = new CallControl();
      method.drain.callStarted(call, control);
      // The end of the stream may have arrived with the call's frames, before
      // there was a call to abort: the call is then cancelled all the same
      // (PROTOCOL.md 5.2). One boolean test per call.
      if (reader.remoteEnded) {
        control.abortByClient(clientGoneError());
      }
      let reusable: boolean;
      try {
        reusable = await serveCall({
          headerBody: first.body,
          reader,
          writer,
          stream,
          connection,
          method,
          control,
        });
      } finally {
        method.drain.callEnded(call);
      }
      if (!reusable) {
        stream.abort(new FramingError("call ended in a state the stream cannot recover from"));
        return;
      }
    }
    await method.drain.close(stream, writer.flushed());
  } catch (error) {
    method.log("stream %s for %s failed - %e", stream.id, method.protocol, error);
    stream.abort(error as Error);
  } finally {
    method.shutdownSignal.removeEventListener("abort", onShutdown);
    method.drain.closed(call);
    headerTimeout.dispose();
    reader.detach();
  }
}

/** True for connections whose streams end by a reset rather than a close (QUIC, see above). */
function endsByReset(connection: Connection): boolean {
  return connection.remoteAddr.toString().includes("/quic");
}
