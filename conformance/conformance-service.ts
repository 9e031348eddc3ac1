import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type Code,
  ConnectError,
  type ConnectRouter,
  type HandlerContext,
} from "@connectrpc/connect";
import type { ConformanceResponseSchema } from "../gen/p2prpc/conformance/v1/conformance_pb.ts";
import {
  type ConformanceRequest,
  ConformanceService,
} from "../gen/p2prpc/conformance/v1/conformance_pb.ts";

type Response = MessageInitShape<typeof ConformanceResponseSchema>;

/** Fails as the request asks: with its status code, or with a plain exception. */
function failIfAsked(req: ConformanceRequest): void {
  if (req.failCode !== 0) {
    // The message is the request's text: the suite checks it reaches the trailer as is.
    throw new ConnectError(req.text, req.failCode as Code);
  }
  if (req.throwPlain) {
    throw new Error(`plain exception: ${req.text}`);
  }
}

/** Waits `sleep_ms`, or until the call ends (cancelled, deadline). */
async function sleep(req: ConformanceRequest, signal: AbortSignal): Promise<void> {
  if (req.sleepMs === 0) {
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, req.sleepMs);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** The response to one request: its text, and the metadata it asked to see. */
function answer(req: ConformanceRequest, context: HandlerContext, index = 0): Response {
  const response: Response = { text: req.text, index };
  if (req.paddingBytes > 0) {
    response.padding = new Uint8Array(req.paddingBytes);
  }
  if (req.echoMetadataKey !== "") {
    const value = context.requestHeader.get(req.echoMetadataKey);
    response.metadataPresent = value !== null;
    response.metadataValue = value ?? "";
  }
  return response;
}

/**
 * Registers the reference implementation of `p2prpc.conformance.v1.ConformanceService`
 * (proto/p2prpc/conformance/v1/conformance.proto), the service the
 * conformance suite's server rows call: pass it as `rpcServer({ routes })`.
 */
export function conformanceRoutes(router: ConnectRouter): void {
  router.service(ConformanceService, {
    async unary(req, context) {
      failIfAsked(req);
      await sleep(req, context.signal);
      return answer(req, context);
    },
    async *serverStream(req, context) {
      failIfAsked(req);
      for (let index = 0; index < req.repeat; index++) {
        await sleep(req, context.signal);
        yield answer(req, context, index);
      }
    },
    async clientStream(requests, context) {
      const texts: string[] = [];
      for await (const req of requests) {
        failIfAsked(req);
        await sleep(req, context.signal);
        texts.push(req.text);
      }
      return { text: texts.join(","), index: texts.length };
    },
    async *bidi(requests, context) {
      let index = 0;
      for await (const req of requests) {
        failIfAsked(req);
        await sleep(req, context.signal);
        yield answer(req, context, index++);
      }
    },
  });
}
