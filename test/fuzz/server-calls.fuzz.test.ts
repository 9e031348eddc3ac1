import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { EchoRequestSchema, EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import {
  MetadataEntrySchema,
  RequestHeaderSchema,
  TrailerSchema,
} from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { methodProtocol } from "../../src/index.ts";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import type { FrameType } from "../../src/wire/frame-type.ts";
import { QueueIterable } from "../helpers/queue-iterable.ts";
import { RawStream } from "../helpers/raw-call.ts";
import { type Pair, startPair } from "../helpers/start-pair.ts";

/** The server's read limit: small, so oversized frames are cheap to send. */
const READ_MAX_BYTES = 64;
/** How long one stream of a run may take on a loaded machine before the run fails. */
const RUN_LIMIT_MS = 5000;
const MAX_TIMEOUT_MS = 0x7fff_ffff;
const UNARY = methodProtocol(EchoService.method.unary);
const BIDI = methodProtocol(EchoService.method.bidi);

/** One piece of what a hostile client writes on a stream of Unary. */
type Piece =
  | { readonly kind: "header"; readonly body: Uint8Array }
  | { readonly kind: "message"; readonly valid: boolean }
  | { readonly kind: "eoi" }
  | { readonly kind: "frame"; readonly type: number; readonly body: Uint8Array }
  | { readonly kind: "oversize" }
  /** A length prefix claiming up to 2^64 − 1 bytes, and a few bytes of body. */
  | { readonly kind: "claim"; readonly claimed: bigint };

const metadataKey = fc.oneof(
  fc.constantFrom("x-ok", "x-b", "authorization", "x-token-bin"),
  // Illegal: upper case, spaces, empty, non-ASCII, separators.
  fc.constantFrom("X-Upper", "bad key", "", "ключ", "a:b", "x\u0000y", "(x)"),
  fc.string({ maxLength: 6 }),
);
const metadataValue = fc.oneof(
  fc.constantFrom("v", "two words", ""),
  fc.constantFrom("line\nbreak", "cr\rhere", "nul\u0000"),
  fc.string({ maxLength: 6 }),
);
const timeoutMs = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(0, 60_000, MAX_TIMEOUT_MS, MAX_TIMEOUT_MS + 1, 2 ** 32 - 1),
  fc.integer({ min: 1000, max: 2 ** 32 - 1 }),
);

/** A REQUEST_HEADER body: a valid encoding of any metadata and deadline, or bytes. */
const headerBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        metadata: fc.array(fc.tuple(metadataKey, metadataValue), { maxLength: 3 }),
        timeoutMs,
      })
      .map(({ metadata, timeoutMs }) => {
        const header = create(RequestHeaderSchema, {
          metadata: metadata.map(([key, value]) => create(MetadataEntrySchema, { key, value })),
        });
        if (timeoutMs !== undefined) {
          header.timeoutMs = timeoutMs;
        }
        return toBinary(RequestHeaderSchema, header);
      }),
  },
  // A negative deadline: field 2 as the 10-byte varint of int64 −1.
  { weight: 1, arbitrary: fc.constant(Uint8Array.of(0x10, ...Array(9).fill(0xff), 0x01)) },
  // Any bytes: most are no RequestHeader at all.
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 12 }) },
);

const piece: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 4, arbitrary: headerBody.map((body) => ({ kind: "header", body }) as const) },
  { weight: 5, arbitrary: fc.boolean().map((valid) => ({ kind: "message", valid }) as const) },
  { weight: 4, arbitrary: fc.constant({ kind: "eoi" } as const) },
  {
    weight: 1,
    // Unknown kinds and the server's own (wrong direction), with any body.
    arbitrary: fc
      .record({
        type: fc.oneof(
          fc.constantFrom(0x00, 0x02, 0x05, 0x06, 0x7f, 0xff),
          fc.integer({ min: 6, max: 255 }),
        ),
        body: fc.uint8Array({ maxLength: 8 }),
      })
      .map(({ type, body }) => ({ kind: "frame", type, body }) as const),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "oversize" } as const) },
  {
    weight: 1,
    arbitrary: fc
      .bigInt({ min: BigInt(READ_MAX_BYTES) + 2n, max: 2n ** 64n - 1n })
      .map((claimed) => ({ kind: "claim", claimed }) as const),
  },
);

/** Encodes `value` as an unsigned varint, minimal, any size. */
function varint(value: bigint): number[] {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.push(Number(rest & 0x7fn) | (rest > 0x7fn ? 0x80 : 0));
    rest >>= 7n;
  } while (rest > 0n);
  return bytes;
}

const VALID_MESSAGE = toBinary(EchoRequestSchema, create(EchoRequestSchema, { text: "fuzz" }));
/** Field 1 (a string) whose length runs past the end: no EchoRequest decodes from it. */
const INVALID_MESSAGE = Uint8Array.of(0x0a, 0x7f, 0x41);

function encodePiece(p: Piece): Uint8Array {
  switch (p.kind) {
    case "header":
      return encodeFrame(0x01 as FrameType, p.body);
    case "message":
      return encodeFrame(0x03 as FrameType, p.valid ? VALID_MESSAGE : INVALID_MESSAGE);
    case "eoi":
      return encodeFrame(0x04 as FrameType);
    case "frame":
      return encodeFrame(p.type as FrameType, p.body);
    case "oversize":
      return encodeFrame(0x03 as FrameType, new Uint8Array(READ_MAX_BYTES + 20));
    case "claim":
      return Uint8Array.from([...varint(p.claimed), 0x03, 1, 2, 3]);
  }
}

function bodyBytes(p: Piece): number {
  switch (p.kind) {
    case "header":
    case "frame":
      return p.body.byteLength;
    case "message":
      return (p.valid ? VALID_MESSAGE : INVALID_MESSAGE).byteLength;
    case "eoi":
      return 0;
    case "oversize":
      return READ_MAX_BYTES + 20;
    case "claim":
      return Number(p.claimed);
  }
}

/** What PROTOCOL.md says the server does with a header body: undefined starts the call. */
function headerVerdict(body: Uint8Array): Code | undefined {
  let header: ReturnType<typeof fromBinary<typeof RequestHeaderSchema>>;
  try {
    header = fromBinary(RequestHeaderSchema, body);
  } catch {
    return Code.InvalidArgument; // undecodable header body (10)
  }
  const legalKey = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
  for (const { key, value } of header.metadata) {
    if (!legalKey.test(key) || /[\r\n\0]/.test(value)) {
      return Code.InvalidArgument; // 7.1
    }
  }
  if (header.timeoutMs === 0) {
    return Code.DeadlineExceeded; // 7.2
  }
  if (header.timeoutMs !== undefined && header.timeoutMs > MAX_TIMEOUT_MS) {
    return Code.InvalidArgument; // 7.2: above the server's maximum
  }
  return undefined;
}

/** The server's answer to a run, as the model of PROTOCOL.md 5.3 and 6 predicts it. */
interface Expected {
  /** Trailer codes, one per call that ended, in order (0 = OK). */
  readonly codes: number[];
  /** MESSAGE frames the server sent before each of those trailers. */
  readonly messages: number[];
  /** How the stream ends once the client half-closes after everything. */
  readonly end: "clean" | "reset";
  /** The server resets before the client's end (a protocol or framing error). */
  readonly resetEarly: boolean;
}

/**
 * The model of PROTOCOL.md 5.3 and 6 for a stream of Unary (one request
 * message, one response) or of Bidi (the test server echoes each request
 * message as it reads it).
 */
function model(pieces: readonly Piece[], kind: "unary" | "bidi"): Expected {
  type State = "idle" | "await-message" | "got-message" | "drain";
  let state: State = "idle";
  const codes: number[] = [];
  const messages: number[] = [];
  /** Echoes sent in the current bidi call. */
  let echoes = 0;
  const end = (code: number): void => {
    codes.push(code);
    messages.push(kind === "bidi" ? echoes : code === 0 ? 1 : 0);
    echoes = 0;
  };
  const reset = (): Expected => ({ codes, messages, end: "reset", resetEarly: true });
  for (const written of pieces) {
    if (written.kind === "claim") {
      if (varint(written.claimed).length > 8) {
        return reset(); // a framing error (3): the call, if any, is cancelled unanswered
      }
      // Oversized (9): a call fails with ResourceExhausted at once; the rest of the
      // stream is the claimed body, skipped as it comes and never buffered, until
      // the client's end cuts it short, a framing error.
      if (state === "await-message" || state === "got-message") {
        end(Code.ResourceExhausted);
      }
      return { codes, messages, end: "reset", resetEarly: state === "idle" };
    }
    // Any frame whose body is over the read limit is oversized, whatever its type (9).
    const p: Piece = bodyBytes(written) > READ_MAX_BYTES ? { kind: "oversize" } : written;
    const unexpected = p.kind === "frame" || p.kind === "header";
    switch (state) {
      case "idle":
        if (p.kind !== "header") {
          return reset(); // 5.3 IDLE: any other frame, oversized frame
        }
        {
          const verdict = headerVerdict(p.body);
          if (verdict === undefined) {
            state = "await-message";
          } else {
            end(verdict);
            state = "drain";
          }
        }
        break;
      case "await-message":
      case "got-message":
        if (unexpected) {
          return reset(); // unexpected frame type in a call
        }
        if (p.kind === "oversize") {
          end(Code.ResourceExhausted);
          state = "drain";
        } else if (p.kind === "message") {
          if (!p.valid) {
            end(Code.InvalidArgument);
            state = "drain";
          } else if (kind === "bidi") {
            echoes++; // answered as it is read
          } else if (state === "await-message") {
            state = "got-message";
          } else {
            end(Code.Unimplemented); // extra input message
            state = "drain";
          }
        } else if (kind === "bidi") {
          end(0); // END_OF_INPUT: the handler's loop ends, OK
          state = "idle";
        } else {
          // END_OF_INPUT: OK after one message, missing message before.
          end(state === "got-message" ? 0 : Code.Unimplemented);
          state = "idle";
        }
        break;
      case "drain":
        if (p.kind === "eoi") {
          state = "idle";
        } else if (p.kind !== "message" && p.kind !== "oversize") {
          return reset();
        }
        break;
    }
  }
  // The client half-closes: clean in IDLE, a cancelled call (or DRAIN) is reset.
  return { codes, messages, end: state === "idle" ? "clean" : "reset", resetEarly: false };
}

/** Reads until `count` trailers came or the stream ended; fails on anything but a call's frames. */
async function readTrailers(
  raw: RawStream,
  count: number,
): Promise<{ codes: number[]; messages: number[] }> {
  const codes: number[] = [];
  const messages: number[] = [];
  let sent = 0;
  while (codes.length < count) {
    let item: Awaited<ReturnType<RawStream["read"]>>;
    try {
      item = await raw.read();
    } catch {
      break; // reset
    }
    if (item === undefined) {
      break;
    }
    assert.ok(item.type !== "oversize");
    assert.ok([0x02, 0x03, 0x05].includes(item.type), `server sent frame type ${item.type}`);
    if (item.type === 0x03) {
      sent++;
    } else if (item.type === 0x05) {
      codes.push(fromBinary(TrailerSchema, item.body).code);
      messages.push(sent);
      sent = 0;
    }
  }
  return { codes, messages };
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: no end in ${RUN_LIMIT_MS} ms`)),
        RUN_LIMIT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

describe("the server's call state machine against hostile frames (fast-check, real nodes)", () => {
  let pair: Pair;
  /** A bidi call kept open through every run: other calls must survive them all. */
  let bystander: { send(text: string): Promise<string>; end(): void };

  beforeAll(async () => {
    pair = await startPair("memory", { server: { readMaxBytes: READ_MAX_BYTES } });
    const input = new QueueIterable<{ text: string }>();
    const responses = pair.echo.bidi(input, { timeoutMs: 120_000 })[Symbol.asyncIterator]();
    bystander = {
      async send(text) {
        input.push({ text });
        const next = await responses.next();
        assert.equal(next.done, false);
        return next.value.text;
      },
      end: () => input.end(),
    };
    assert.equal(await bystander.send("hello"), "hello");
  });
  afterAll(async () => {
    bystander?.end();
    await pair?.stop();
  });

  /** The peer, its connection and other calls survived. */
  async function survived(run: number): Promise<void> {
    assert.equal(await within(bystander.send(`run ${run}`), "the bystander call"), `run ${run}`);
    const answer = await pair.echo.unary({ text: `after ${run}` });
    assert.equal(answer.text, `after ${run}`);
    assert.equal(pair.client.getConnections(pair.server.peerId).length, 1, "one connection, kept");
  }

  for (const kind of ["unary", "bidi"] as const) {
    it(`${kind}: frames in any order, headers of any encoding, metadata and deadlines: each gets its status or a reset`, {
      timeout: 120_000,
    }, async () => {
      const protocol = kind === "unary" ? UNARY : BIDI;
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 8 }), async (pieces) => {
          run++;
          const expected = model(pieces, kind);
          const raw = await RawStream.open(pair.client, pair.server.peerId, protocol);
          raw.send(concatFrames(pieces.map(encodePiece)));
          const answers = await within(readTrailers(raw, expected.codes.length), "the trailers");
          assert.deepEqual(answers.codes, expected.codes, "the status of every call, in order");
          assert.deepEqual(answers.messages, expected.messages, "the messages of every call");
          if (!expected.resetEarly) {
            await raw.closeWrite().catch(() => {});
          }
          const { frames, end } = await within(raw.outcome(), "the stream's end");
          if (kind === "bidi" && end === "reset") {
            // A call cut short by the end may have echoed messages before it.
            assert.ok(frames.every((frame) => frame.type === 0x02 || frame.type === 0x03));
          } else {
            assert.deepEqual(frames, [], "nothing after the last expected trailer");
          }
          assert.equal(end, expected.end);
          await survived(run);
        }),
        { numRuns: 300 },
      );
    });
  }

  it("random bytes after a valid header, and truncated frames: a reset of that stream only", {
    timeout: 60_000,
  }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.boolean(),
        async (bytes, afterHeader) => {
          run++;
          const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
          const header = encodeFrame(0x01 as FrameType, new Uint8Array(0));
          raw.send(afterHeader ? concatFrames([header, bytes]) : bytes);
          await raw.closeWrite().catch(() => {});
          const { frames } = await within(raw.outcome(), "the stream's end");
          // Whatever came were whole answers of calls: headers, messages, trailers.
          for (const frame of frames) {
            assert.ok(frame.type !== "oversize" && [0x02, 0x03, 0x05].includes(frame.type));
          }
          await survived(run);
        },
      ),
      { numRuns: 80 },
    );
  });
});
