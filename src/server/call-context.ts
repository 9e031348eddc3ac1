import type { DescMethod } from "@bufbuild/protobuf";
import type { ContextValues, HandlerContext } from "@connectrpc/connect";
import type { CallControl } from "../call-control.ts";

/** What {@link createCallContext} builds a handler's context from. */
export interface CallContextInit {
  readonly method: DescMethod;
  readonly url: string;
  /** The request's metadata, already checked; undefined when the request had none. */
  readonly requestHeader: Headers | undefined;
  readonly timeoutMs: number | undefined;
  readonly values: ContextValues;
  readonly control: CallControl;
}

/** A handler's context, and the response metadata the handler set, if it touched any. */
export interface CallContext {
  readonly context: HandlerContext;
  /** The response header, or undefined when nothing read or wrote it. */
  responseHeader(): Headers | undefined;
  /** The response trailer, or undefined when nothing read or wrote it. */
  responseTrailer(): Headers | undefined;
}

/**
 * A Connect `HandlerContext` whose costly parts are made on first use: the
 * `Headers` objects and the `AbortSignal` (from the call's
 * {@link CallControl}). Most handlers touch none of them, and Connect's
 * `createHandlerContext` made four `Headers` and three `AbortController`s for
 * every call, then aborted them when it ended.
 *
 * The getters are the object's own enumerable properties, so a copy made with
 * `Object.assign` or spread (as Connect's interceptor plumbing does) reads
 * them and sees the same values.
 */
export function createCallContext(init: CallContextInit): CallContext {
  const { control } = init;
  let requestHeader = init.requestHeader;
  let responseHeader: Headers | undefined;
  let responseTrailer: Headers | undefined;
  const deadline = init.timeoutMs === undefined ? undefined : Date.now() + init.timeoutMs;
  const context: HandlerContext = {
    method: init.method,
    service: init.method.parent,
    requestMethod: "POST",
    protocolName: "p2prpc",
    url: init.url,
    values: init.values,
    timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
    get signal() {
      return control.signal;
    },
    get requestHeader() {
      requestHeader ??= new Headers();
      return requestHeader;
    },
    get responseHeader() {
      responseHeader ??= new Headers();
      return responseHeader;
    },
    get responseTrailer() {
      responseTrailer ??= new Headers();
      return responseTrailer;
    },
  };
  return {
    context,
    responseHeader: () => responseHeader,
    responseTrailer: () => responseTrailer,
  };
}
