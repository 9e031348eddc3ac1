import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  type EchoRequest,
  type EchoResponseSchema,
  EchoService,
} from "../../gen/p2prpc/test/v1/test_pb.ts";
import { methodProtocol } from "../../src/index.ts";
import { type Pair, startPair, TRANSPORTS } from "../helpers/start-pair.ts";
import { codeOf } from "../helpers/wait-for.ts";

const CLIENT_STREAM = methodProtocol(EchoService.method.clientStream);

/** A deadline for calls that would hang if the server read past a call's end. */
const CALL_TIMEOUT_MS = 5_000;

type EchoResponseInit = MessageInitShape<typeof EchoResponseSchema>;

/**
 * Handlers that drive their iterators by hand, as Connect allows: several
 * reads of the input at once, and an output iterator that throws instead of
 * rejecting or resolves to something that is no iterator result.
 */
const impl: Partial<ServiceImpl<typeof EchoService>> = {
  unary: (req) => ({ text: req.text }),
  async clientStream(requests) {
    const input = requests[Symbol.asyncIterator]();
    const results = await Promise.all([input.next(), input.next(), input.next(), input.next()]);
    return {
      text: results
        .map((result) => (result.done === true ? "done" : (result.value as EchoRequest).text))
        .join(","),
    };
  },
  serverStream(req) {
    let produced = 0;
    return {
      [Symbol.asyncIterator]: () => ({
        next(): Promise<IteratorResult<EchoResponseInit>> {
          if (produced++ === 0) {
            return Promise.resolve({ done: false, value: { text: req.text } });
          }
          if (req.text === "no-result") {
            // Not an iterator result at all.
            return Promise.resolve(undefined as unknown as IteratorResult<EchoResponseInit>);
          }
          throw new Error("the iterator broke");
        },
      }),
    };
  },
};

async function* messages(...texts: string[]): AsyncIterable<{ text: string }> {
  for (const text of texts) {
    yield { text };
  }
}

for (const kind of TRANSPORTS) {
  describe(`handlers driving their iterators by hand over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind, {
        server: { routes: (router) => router.service(EchoService, impl) },
      });
    });
    afterAll(async () => {
      await pair.stop();
    });

    it("reads made at once get the messages in order, then the end, and nothing of the next call", async () => {
      const first = await pair.echo.clientStream(messages("a", "b"), {
        timeoutMs: CALL_TIMEOUT_MS,
      });
      assert.equal(first.text, "a,b,done,done");
      // The next call on the same stream reads its own messages.
      const second = await pair.echo.clientStream(messages("c"), { timeoutMs: CALL_TIMEOUT_MS });
      assert.equal(second.text, "c,done,done,done");
      assert.equal(pair.serverStreamIds(CLIENT_STREAM).length, 1, "both calls used one stream");
    });

    for (const [text, what] of [
      ["one", "throws"],
      ["no-result", "resolves to no result"],
    ] as const) {
      it(`an output iterator that ${what} fails its call as Internal; the connection serves the next call`, async () => {
        const received: string[] = [];
        const code = await codeOf(
          (async () => {
            for await (const response of pair.echo.serverStream(
              { text },
              { timeoutMs: CALL_TIMEOUT_MS },
            )) {
              received.push(response.text);
            }
          })(),
        );
        assert.equal(code, Code.Internal);
        assert.deepEqual(received, [text]);
        assert.equal((await pair.echo.unary({ text: "after" })).text, "after");
      });
    }
  });
}
