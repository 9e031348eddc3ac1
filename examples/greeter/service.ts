// The GreeterService implementation served by examples/greeter/server.ts.
//
// Handlers are plain Connect-ES handlers: the same object could be given to a
// Connect HTTP server. The only p2prpc-specific call is getRemotePeer(), which
// tells a handler which peer called, as authenticated by the connection.
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { getRemotePeer } from "p2prpc";
import type { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";

/** The caller's PeerId, shortened for display (`12D3KooW…abcdef`). */
function shortPeerId(ctx: HandlerContext): string {
  const id = getRemotePeer(ctx).peerId.toString();
  return `${id.slice(0, 8)}…${id.slice(-6)}`;
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts (deadline, cancel, shutdown). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export const greeterImpl: ServiceImpl<typeof GreeterService> = {
  // Unary.
  sayHello(req, ctx) {
    if (req.name === "") {
      throw new ConnectError("name must not be empty", Code.InvalidArgument);
    }
    return { message: `Hello, ${req.name}! You called from peer ${shortPeerId(ctx)}.` };
  },

  // Server streaming: `from`, `from - 1`, …, 1, one every `intervalMs`.
  async *countdown(req, ctx) {
    for (let remaining = req.from; remaining > 0; remaining--) {
      if (remaining !== req.from && req.intervalMs > 0) {
        await sleep(req.intervalMs, ctx.signal);
      }
      yield { remaining };
    }
  },

  // Client streaming: one answer once the client has sent every name.
  async collectNames(requests) {
    const names: string[] = [];
    for await (const req of requests) {
      names.push(req.name);
    }
    return { greeting: `Hello, ${names.join(" and ")}!`, count: names.length };
  },

  // Bidi streaming: each line is answered as soon as it arrives.
  async *chat(requests) {
    for await (const req of requests) {
      yield { text: req.text.toUpperCase() };
    }
  },
};
