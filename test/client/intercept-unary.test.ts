import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { create } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { describe, it } from "vitest";
import {
  type EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
} from "../../gen/p2prpc/test/v1/test_pb.ts";
import type { CallControl } from "../../src/call-control.ts";
import { interceptUnary } from "../../src/client/intercept-unary.ts";

type Req = UnaryRequest<typeof EchoRequestSchema, typeof EchoResponseSchema>;
type Res = UnaryResponse<typeof EchoRequestSchema, typeof EchoResponseSchema>;

const method = EchoService.method.unary;

function options(
  next: (req: Req, control: CallControl | undefined) => Promise<Res>,
  extra: { interceptors?: Interceptor[]; signal?: AbortSignal; timeoutMs?: number } = {},
) {
  return {
    interceptors: extra.interceptors ?? [],
    signal: extra.signal,
    timeoutMs: extra.timeoutMs,
    req: {
      stream: false as const,
      service: EchoService,
      method,
      requestMethod: "POST",
      url: "/p2prpc/test",
      header: new Headers(),
      contextValues: createContextValues(),
      message: { text: "hi" },
    },
    next,
  };
}

function answer(req: Req): Promise<Res> {
  return Promise.resolve({
    stream: false,
    service: EchoService,
    method,
    header: new Headers(),
    trailer: new Headers(),
    message: create(EchoResponseSchema, { text: req.message.text }),
  });
}

describe("interceptUnary", () => {
  it("runs interceptors outermost first and normalizes the message", async () => {
    const order: string[] = [];
    const tag =
      (name: string): Interceptor =>
      (next) =>
      async (req) => {
        order.push(`${name}>`);
        const res = await next(req);
        order.push(`<${name}`);
        return res;
      };
    let seen: Req | undefined;
    const res = await interceptUnary(
      options(
        (req) => {
          seen = req;
          order.push("call");
          return answer(req);
        },
        { interceptors: [tag("a"), tag("b")] },
      ),
    );
    assert.deepEqual(order, ["a>", "b>", "call", "<b", "<a"]);
    assert.equal(res.message.text, "hi");
    assert.equal(seen?.message.$typeName, "p2prpc.test.v1.EchoRequest");
    assert.ok(seen?.signal.aborted, "the signal is aborted once the call completed");
  });

  it("reports the caller's abort reason as the error, and aborts the call's signal with it", {
    timeout: 5000,
  }, async () => {
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const call = interceptUnary(
      options(
        (req) => {
          signal = req.signal;
          return new Promise((_, reject) => {
            req.signal.addEventListener("abort", () => reject(new Error("transport saw abort")));
          });
        },
        { signal: controller.signal },
      ),
    );
    controller.abort(new ConnectError("stop", Code.Aborted));
    await assert.rejects(call, (error: ConnectError) => {
      assert.equal(error.code, Code.Aborted);
      assert.equal(error.rawMessage, "stop");
      return true;
    });
    assert.ok(signal?.aborted);
  });

  it("fails with DeadlineExceeded when the timeout passes first", { timeout: 5000 }, async () => {
    const call = interceptUnary(
      options(
        (req) =>
          new Promise((_, reject) => {
            // The transport fails with its own error; the deadline must win.
            req.signal.addEventListener("abort", () => reject(new Error("transport")));
          }),
        { timeoutMs: 5 },
      ),
    );
    await assert.rejects(call, (error: ConnectError) => error.code === Code.DeadlineExceeded);
  });

  it("turns a synchronous throw in an interceptor into a rejected call", async () => {
    const throwing: Interceptor = () => () => {
      throw new ConnectError("nope", Code.PermissionDenied);
    };
    await assert.rejects(
      interceptUnary(options(answer, { interceptors: [throwing] })),
      (error: ConnectError) => error.code === Code.PermissionDenied,
    );
  });

  it("gives the transport the call's control for its own request, none for a replaced one", async () => {
    let direct: CallControl | undefined;
    await interceptUnary(
      options((req, control) => {
        direct = control;
        return answer(req);
      }),
    );
    assert.ok(direct !== undefined);
    assert.equal(direct.aborted, true, "completed calls are aborted");
    assert.equal((direct.reason as ConnectError).code, Code.Canceled);

    let replaced: CallControl | undefined = direct;
    let signal: AbortSignal | undefined;
    const copying: Interceptor = (next) => (req) => next({ ...req, header: new Headers() });
    await interceptUnary(
      options(
        (req, control) => {
          replaced = control;
          signal = req.signal;
          return answer(req);
        },
        { interceptors: [copying] },
      ),
    );
    assert.equal(replaced, undefined, "a copied request is watched through its signal");
    assert.equal(signal?.aborted, true, "the copy's signal is the call's: aborted at the end");
  });

  it("stops listening to the caller's signal once the call is over", async () => {
    const caller = new AbortController();
    for (let i = 0; i < 3; i++) {
      await interceptUnary(options(answer, { signal: caller.signal }));
    }
    await assert.rejects(
      interceptUnary(options(() => Promise.reject(new Error("failed")), { signal: caller.signal })),
    );
    assert.equal(getEventListeners(caller.signal, "abort").length, 0);
  });
});
