import { type Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type EchoRequest,
  EchoResponseSchema,
  type EchoService,
} from "../../gen/p2prpc/test/v1/test_pb.ts";
import { getRemotePeer } from "../../src/index.ts";

/** What the test server saw, for assertions about the server side. */
export interface EchoProbe {
  /** Signals of calls the server started, by request text. */
  readonly signals: Map<string, AbortSignal>;
  /** Messages yielded by ServerStream calls so far, by request text. */
  readonly produced: Map<string, number>;
}

export function createEchoProbe(): EchoProbe {
  return { signals: new Map(), produced: new Map() };
}

function failIfAsked(req: EchoRequest): void {
  if (req.failCode !== 0) {
    throw new ConnectError(
      `failing as asked: ${req.text}`,
      req.failCode as Code,
      { "x-fail": "yes" },
      [{ desc: EchoResponseSchema, value: { text: `detail of ${req.text}`, index: 7 } }],
    );
  }
  if (req.throwText !== "") {
    throw new Error(req.throwText);
  }
}

async function waitOrHang(req: EchoRequest, signal: AbortSignal): Promise<void> {
  if (req.hang) {
    await new Promise<void>(() => {});
  }
  if (req.delayMs > 0) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, req.delayMs);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  }
}

/** The test implementation of EchoService (Missing is left out on purpose). */
export function echoImpl(probe: EchoProbe): Partial<ServiceImpl<typeof EchoService>> {
  return {
    async unary(req, ctx) {
      probe.signals.set(req.text, ctx.signal);
      ctx.responseHeader.set("x-header", ctx.requestHeader.get("x-request") ?? "none");
      ctx.responseTrailer.set("x-trailer", "unary");
      await waitOrHang(req, ctx.signal);
      failIfAsked(req);
      return {
        text: req.text,
        payload: req.payload,
        caller: getRemotePeer(ctx).peerId.toString(),
        timeoutMs: ctx.timeoutMs() ?? 0,
      };
    },
    async *serverStream(req, ctx) {
      probe.signals.set(req.text, ctx.signal);
      ctx.responseHeader.set("x-header", "stream");
      for (let index = 0; index < req.repeat; index++) {
        if (ctx.signal.aborted) {
          return;
        }
        await waitOrHang(req, ctx.signal);
        probe.produced.set(req.text, index + 1);
        yield { text: req.text, payload: req.payload, index };
      }
      ctx.responseTrailer.set("x-trailer", "stream");
      failIfAsked(req);
    },
    async clientStream(requests, ctx) {
      let count = 0;
      const texts: string[] = [];
      for await (const req of requests) {
        probe.signals.set(req.text, ctx.signal);
        failIfAsked(req);
        await waitOrHang(req, ctx.signal);
        texts.push(req.text);
        count++;
      }
      return { text: texts.join(","), index: count };
    },
    async *bidi(requests, ctx) {
      let index = 0;
      for await (const req of requests) {
        probe.signals.set(req.text, ctx.signal);
        failIfAsked(req);
        await waitOrHang(req, ctx.signal);
        if (req.repeat === 0 && req.text === "stop") {
          // Answer and end before the client finishes its input.
          yield { text: "stopped", index };
          return;
        }
        yield { text: req.text, payload: req.payload, index: index++ };
      }
    },
  };
}
