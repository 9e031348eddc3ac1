import {
  create,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { CallControl } from "../call-control.ts";

/** The reason a unary call's signal carries once the call ended without error. */
const CALL_COMPLETED = new ConnectError("the call has completed", Code.Canceled);

/** What {@link interceptUnary} needs: the request without its signal, and what runs it. */
export interface InterceptUnaryOptions<I extends DescMessage, O extends DescMessage> {
  readonly interceptors: readonly Interceptor[];
  /** The caller's signal (`CallOptions.signal`). */
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number | undefined;
  readonly req: Omit<UnaryRequest<I, O>, "signal" | "message"> & {
    readonly message: MessageInitShape<I>;
  };
  /**
   * Runs the call. `control` is the call's own {@link CallControl} when the
   * request arrives as `interceptUnary` made it; it is undefined when an
   * interceptor passed another request object, whose `signal` must then be
   * watched instead (it may be one the interceptor made).
   */
  readonly next: (
    req: UnaryRequest<I, O>,
    control: CallControl | undefined,
  ) => Promise<UnaryResponse<I, O>>;
}

/**
 * Runs a unary call through the interceptors, as Connect's `runUnaryCall`
 * does, with one {@link CallControl} per call instead of two linked abort
 * controllers: `req.signal` is made only when something reads it, so a call
 * nobody cancels builds no `AbortController` and dispatches no `abort` event
 * (both showed in client profiles), and no `DOMException` ever.
 *
 * `req.signal` aborts when the caller's signal aborts (with its reason), at
 * the deadline (DeadlineExceeded), when the call fails (with the error) and
 * when it completes. A failure while the call is aborted reports the abort's
 * reason, so cancellation and deadlines win over the transport's own error.
 */
export function interceptUnary<I extends DescMessage, O extends DescMessage>(
  options: InterceptUnaryOptions<I, O>,
): Promise<UnaryResponse<I, O>> {
  const control = new CallControl();
  const callerSignal = options.signal;
  const onCallerAbort = (): void => {
    control.abort(callerSignal?.reason);
  };
  if (callerSignal !== undefined) {
    if (callerSignal.aborted) {
      onCallerAbort();
    } else {
      callerSignal.addEventListener("abort", onCallerAbort, { once: true });
    }
  }
  control.startDeadline(options.timeoutMs);
  const settle = (reason: unknown): void => {
    callerSignal?.removeEventListener("abort", onCallerAbort);
    control.abort(reason);
  };
  const message = create(options.req.method.input, options.req.message);
  // Interceptors may copy the request by spreading it, so for them `signal`
  // must be the object's own getter. Without interceptors nobody sees the
  // request but the transport, and an instance of a class with the getter is
  // ~20× cheaper to build than a literal with one (0.5 µs on Node 24).
  const req: UnaryRequest<I, O> =
    options.interceptors.length === 0
      ? new TransportOnlyRequest(options.req, message, control)
      : {
          ...options.req,
          message,
          get signal() {
            return control.signal;
          },
        };
  type AnyNext = Parameters<Interceptor>[0];
  let next = ((request: UnaryRequest<I, O>) =>
    options.next(request, request === req ? control : undefined)) as unknown as AnyNext;
  for (let i = options.interceptors.length - 1; i >= 0; i--) {
    next = (options.interceptors[i] as Interceptor)(next);
  }
  let call: Promise<UnaryResponse<I, O>>;
  try {
    call = next(req as never) as Promise<UnaryResponse<I, O>>;
  } catch (error) {
    call = Promise.reject(error);
  }
  return call.then(
    (response) => {
      settle(CALL_COMPLETED);
      return response;
    },
    (reason: unknown) => {
      const error = control.aborted
        ? ConnectError.from(control.reason, Code.Canceled)
        : ConnectError.from(reason);
      settle(error);
      throw error;
    },
  );
}

/**
 * The unary request of a call without interceptors: the request's parts, and
 * a `signal` made by the call's {@link CallControl} on first read.
 */
class TransportOnlyRequest<I extends DescMessage, O extends DescMessage>
  implements UnaryRequest<I, O>
{
  readonly stream = false;
  readonly service: UnaryRequest<I, O>["service"];
  readonly method: UnaryRequest<I, O>["method"];
  readonly requestMethod: string;
  readonly url: string;
  readonly header: Headers;
  readonly contextValues: UnaryRequest<I, O>["contextValues"];
  readonly message: MessageShape<I>;
  readonly #control: CallControl;

  constructor(
    parts: InterceptUnaryOptions<I, O>["req"],
    message: MessageShape<I>,
    control: CallControl,
  ) {
    this.service = parts.service;
    this.method = parts.method;
    this.requestMethod = parts.requestMethod;
    this.url = parts.url;
    this.header = parts.header;
    this.contextValues = parts.contextValues;
    this.message = message;
    this.#control = control;
  }

  get signal(): AbortSignal {
    return this.#control.signal;
  }
}
