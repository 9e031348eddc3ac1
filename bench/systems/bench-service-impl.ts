import type { ServiceImpl } from "@connectrpc/connect";
import type { BenchService } from "../../gen/p2prpc/bench/v1/bench_pb.ts";

/** How often a streaming loop looks at the clock, in messages. */
const CLOCK_EVERY = 64;

/**
 * The Connect implementation of BenchService, served by p2prpc and by
 * connect-node alike. `waitForRelease` gates held streams (workload h).
 */
export function benchServiceImpl(
  waitForRelease: () => Promise<void>,
): ServiceImpl<typeof BenchService> {
  return {
    unary(request) {
      return { payload: request.payload };
    },
    async *serverStream(request, context) {
      const response = { payload: new Uint8Array(request.payloadSize) };
      const deadline =
        request.durationMs > 0 ? performance.now() + request.durationMs : Number.POSITIVE_INFINITY;
      for (let index = 0; index < request.count; index++) {
        if (context.signal.aborted) {
          return;
        }
        if (request.hold && index === 1) {
          await waitForRelease();
        }
        if (index % CLOCK_EVERY === 0 && performance.now() >= deadline) {
          return;
        }
        yield response;
      }
    },
    async *bidi(requests) {
      for await (const request of requests) {
        yield { payload: request.payload };
      }
    },
  };
}
