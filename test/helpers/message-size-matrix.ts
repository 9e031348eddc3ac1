import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  type TransferRequestSchema,
  TransferService,
} from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../../src/constants.ts";
import { methodProtocol } from "../../src/index.ts";
import { type Pair, startPair, type TransportKind } from "./start-pair.ts";
import {
  dataBytesForMessage,
  generatedBytes,
  sha256,
  transferClient,
  transferRoutes,
} from "./transfer-service.ts";
import { codeOf } from "./wait-for.ts";

type TransferClient = Client<typeof TransferService>;
type TransferInit = MessageInitShape<typeof TransferRequestSchema>;

const KiB = 1024;
const MiB = 1024 * KiB;
const LIMIT = DEFAULT_MAX_MESSAGE_BYTES;
/** Every call carries this deadline, so a stall fails its test instead of hanging the suite. */
const CALL_TIMEOUT_MS = 30_000;
const IN_FLIGHT = 16;
/**
 * Messages each way in a streaming call: two, so a message also follows a
 * large one on the same stream; one each in the 16 calls in flight.
 */
const STREAMED = 2;

/**
 * Sizes of the `data` field, and for "the limit" the one that makes the
 * whole message exactly the default limit (4 MiB).
 */
const SIZES: ReadonlyArray<readonly [string, number]> = [
  ["0 B", 0],
  ["1 B", 1],
  ["64 KiB - 1", 64 * KiB - 1],
  ["64 KiB", 64 * KiB],
  ["256 KiB + 1", 256 * KiB + 1],
  ["400 KB", 400_000],
  ["512 KiB", 512 * KiB],
  ["1 MiB", MiB],
  ["3 MiB", 3 * MiB],
  ["the limit", dataBytesForMessage(LIMIT)],
];

function assertBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.byteLength, expected.byteLength, `${what}: length`);
  assert.deepEqual(sha256(actual), sha256(expected), `${what}: SHA-256`);
}

async function* requests(
  bytes: number,
  seed: number,
  messages = STREAMED,
): AsyncGenerator<TransferInit> {
  for (let index = 0; index < messages; index++) {
    yield { data: generatedBytes(bytes, seed + index) };
  }
}

const expectedUpload = (bytes: number, seed: number, messages: number): Uint8Array =>
  sha256(...Array.from({ length: messages }, (_, index) => generatedBytes(bytes, seed + index)));

/**
 * One call of each kind: sends or receives `bytes` in each of `messages`
 * messages (unary: one) and checks every byte by hash.
 */
const CALLS: Record<
  string,
  (client: TransferClient, bytes: number, seed: number, messages: number) => Promise<void>
> = {
  "unary request": async (client, bytes, seed) => {
    const data = generatedBytes(bytes, seed);
    const response = await client.exchange({ data }, { timeoutMs: CALL_TIMEOUT_MS });
    assert.deepEqual(response.receivedSha256, sha256(data));
  },
  "unary response": async (client, bytes, seed) => {
    const response = await client.exchange(
      { respondBytes: bytes, seed },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
    assertBytes(response.data, generatedBytes(bytes, seed), "response");
  },
  "client stream": async (client, bytes, seed, messages) => {
    const response = await client.upload(requests(bytes, seed, messages), {
      timeoutMs: CALL_TIMEOUT_MS,
    });
    assert.equal(response.receivedMessages, messages);
    assert.deepEqual(response.receivedSha256, expectedUpload(bytes, seed, messages));
  },
  "server stream": async (client, bytes, seed, messages) => {
    let index = 0;
    for await (const response of client.download(
      { respondBytes: bytes, respondCount: messages, seed },
      { timeoutMs: CALL_TIMEOUT_MS },
    )) {
      assertBytes(response.data, generatedBytes(bytes, seed + index), `response ${index}`);
      index++;
    }
    assert.equal(index, messages);
  },
  "bidi both ways": async (client, bytes, seed, messages) => {
    let index = 0;
    for await (const response of client.echo(requests(bytes, seed, messages), {
      timeoutMs: CALL_TIMEOUT_MS,
    })) {
      assertBytes(response.data, generatedBytes(bytes, seed + index), `echo ${index}`);
      index++;
    }
    assert.equal(index, messages);
  },
};

const PROTOCOL_OF: Record<string, string> = {
  "unary request": methodProtocol(TransferService.method.exchange),
  "unary response": methodProtocol(TransferService.method.exchange),
  "client stream": methodProtocol(TransferService.method.upload),
  "server stream": methodProtocol(TransferService.method.download),
  "bidi both ways": methodProtocol(TransferService.method.echo),
};

/**
 * The size matrix over one transport: every size in every call kind, on the
 * first call of a new connection, on a reused stream and 16 in flight; and a
 * message one byte over the limit in each kind. One test file per transport,
 * so vitest's workers run them side by side.
 */
export function describeMessageSizes(kind: TransportKind): void {
  describe(`message sizes up to the limit over ${kind}`, () => {
    let pair: Pair;
    let client: TransferClient;
    beforeAll(async () => {
      pair = await startPair(kind, { server: { routes: transferRoutes } });
      client = transferClient(pair);
    });
    afterAll(async () => {
      await pair.stop();
    });

    for (const [callKind, call] of Object.entries(CALLS)) {
      describe(callKind, () => {
        for (const [size, bytes] of SIZES) {
          it(`${size}: first call of a connection, on a reused stream, and ${IN_FLIGHT} in flight`, async () => {
            const protocol = PROTOCOL_OF[callKind] as string;
            await pair.client.hangUp(pair.server.peerId);
            await call(client, bytes, 1, STREAMED);
            assert.equal(pair.client.getConnections(pair.server.peerId).length, 1);

            const before = pair.serverStreamIds(protocol);
            assert.equal(before.length, 1, "the first call's stream waits in the pool");
            await call(client, bytes, 2, STREAMED);
            assert.deepEqual(pair.serverStreamIds(protocol), before, "the second call reused it");

            await Promise.all(
              Array.from({ length: IN_FLIGHT }, (_, index) => call(client, bytes, 10 + index, 1)),
            );
            // The connection still serves after them.
            await call(client, 1, 99, STREAMED);
          });
        }
      });
    }
  });

  describe(`one byte over the limit over ${kind}`, () => {
    let pair: Pair;
    let client: TransferClient;
    const over = dataBytesForMessage(LIMIT + 1);
    beforeAll(async () => {
      // Each sender would send one byte more than its receiver accepts, so the
      // receiver's check of the length prefix is what refuses it.
      pair = await startPair(kind, {
        server: { routes: transferRoutes, writeMaxBytes: LIMIT + 1 },
      });
      client = transferClient(pair, { writeMaxBytes: LIMIT + 1 });
      await client.exchange({ data: new Uint8Array(1) }, { timeoutMs: CALL_TIMEOUT_MS });
    });
    afterAll(async () => {
      await pair.stop();
    });

    const options = { timeoutMs: CALL_TIMEOUT_MS };
    const cases: Record<string, () => Promise<unknown>> = {
      "unary request": () => client.exchange({ data: generatedBytes(over, 1) }, options),
      "unary response": () => client.exchange({ respondBytes: over, seed: 1 }, options),
      "client stream": () => client.upload(requests(over, 1), options),
      "server stream": async () => {
        for await (const _ of client.download({ respondBytes: over, respondCount: 1 }, options)) {
          // Nothing arrives: the one message is over the limit.
        }
      },
      "bidi request": async () => {
        for await (const _ of client.echo(requests(over, 1), options)) {
          // The server refuses the first request.
        }
      },
    };
    for (const [callKind, run] of Object.entries(cases)) {
      it(`${callKind}: ResourceExhausted from the length prefix; the connection keeps serving`, async () => {
        const [connection] = pair.client.getConnections(pair.server.peerId);
        assert.equal(await codeOf(run()), Code.ResourceExhausted);
        await CALLS["bidi both ways"]?.(client, 64 * KiB, 5, STREAMED);
        assert.deepEqual(
          pair.client.getConnections(pair.server.peerId).map(({ id }) => id),
          [connection?.id],
        );
      });
    }
  });
}
