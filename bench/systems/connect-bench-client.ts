import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { BenchService, BidiRequestSchema } from "../../gen/p2prpc/bench/v1/bench_pb.ts";
import { QueueIterable } from "../../test/helpers/queue-iterable.ts";
import type { BenchClient, PingPong, StreamRequest } from "./system-module.ts";

/** A BenchClient over any Connect client of BenchService (p2prpc or connect-node). */
export function connectBenchClient(
  client: Client<typeof BenchService>,
  close: () => Promise<void>,
): BenchClient {
  return {
    async unary(payload) {
      await client.unary({ payload });
    },
    async openPingPong(): Promise<PingPong> {
      const input = new QueueIterable<MessageInitShape<typeof BidiRequestSchema>>();
      const responses = client.bidi(input)[Symbol.asyncIterator]();
      return {
        async roundTrip(payload) {
          input.push({ payload });
          const next = await responses.next();
          if (next.done === true) {
            throw new Error("bidi call ended before its echo");
          }
        },
        async close() {
          input.end();
          while ((await responses.next()).done !== true) {
            // Drain until the server ends the call.
          }
        },
      };
    },
    async serverStream(request: StreamRequest, onMessage) {
      for await (const response of client.serverStream(request)) {
        onMessage(response.payload.byteLength);
      }
    },
    close,
  };
}
