import assert from "node:assert/strict";
import { type DescMethod, fromBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Libp2p, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import {
  type ConformanceResponse,
  ConformanceResponseSchema,
  ConformanceService,
} from "../gen/p2prpc/conformance/v1/conformance_pb.ts";
import { type Trailer, TrailerSchema } from "../gen/p2prpc/wire/v1/wire_pb.ts";
import { methodProtocol } from "../src/protocol-id.ts";
import { FrameType } from "../src/wire/frame-type.ts";
import type { ConformanceCase } from "./conformance-case.ts";
import {
  END_OF_INPUT,
  type RawMetadata,
  rawFrame,
  requestHeader,
  requestMessage,
  trailer as trailerFrame,
} from "./frames.ts";
import { RawStream } from "./raw-stream.ts";

/** What a server row needs: a node to dial from, the server, and what it may differ in. */
export interface ServerContext {
  /** The local node the rows dial from. */
  readonly node: Libp2p;
  /** The server under test: its PeerId (known to `node`) or its multiaddrs. */
  readonly peer: PeerId | Multiaddr[];
  /** Aborts when the row runs out of time; every stream of the row is reset then. */
  readonly signal: AbortSignal;
  /** The server's read limit for request messages, in bytes (PROTOCOL.md 9). */
  readonly readMaxBytes: number;
  /** The server's write limit for response messages, in bytes (PROTOCOL.md 9). */
  readonly writeMaxBytes: number;
  /** True over QUIC, which may deliver the server's reset as a clean end. */
  readonly resetMayLookClean: boolean;
}

/** Every call a row makes carries this deadline, unless the row is about deadlines. */
const CALL_TIMEOUT_MS = 5000;

/** The status code of success, which Connect's `Code` does not name. */
const OK = 0;

const { unary, serverStream, clientStream, bidi } = ConformanceService.method;

/** Opens a raw stream of `method` on the server; the row's signal resets it. */
async function open(context: ServerContext, method: DescMethod): Promise<RawStream> {
  const raw = await RawStream.open(
    context.node,
    context.peer,
    methodProtocol(method),
    context.signal,
  );
  context.signal.addEventListener("abort", () => raw.stream.abort(new Error("row timed out")), {
    once: true,
  });
  return raw;
}

/** A call's header with the suite's deadline and the given metadata. */
const header = (metadata?: RawMetadata): Uint8Array =>
  requestHeader({ timeoutMs: CALL_TIMEOUT_MS, metadata });

/** What the server answered for one call, read up to its TRAILER. */
interface Answer {
  readonly types: readonly FrameType[];
  readonly messages: readonly ConformanceResponse[];
  readonly trailer: Trailer;
}

async function answerOf(raw: RawStream): Promise<Answer> {
  const types: FrameType[] = [];
  const messages: ConformanceResponse[] = [];
  for (;;) {
    const item = await raw.read();
    assert.ok(item !== undefined, "the stream ended before the call's TRAILER");
    assert.ok(item.type !== "oversize", "a frame within the suite's 64 MiB");
    types.push(item.type);
    if (item.type === FrameType.Message) {
      messages.push(fromBinary(ConformanceResponseSchema, item.body));
    }
    if (item.type === FrameType.Trailer) {
      return { types, messages, trailer: fromBinary(TrailerSchema, item.body) };
    }
  }
}

/** Reads one call's answer and checks its status code and frame sequence (5.1). */
async function expectStatus(raw: RawStream, code: number): Promise<Answer> {
  const answer = await answerOf(raw);
  assert.equal(answer.trailer.code, code, `status code (message: ${answer.trailer.message})`);
  assert.equal(answer.types[0], FrameType.ResponseHeader, "RESPONSE_HEADER comes first");
  assert.equal(answer.types.filter((type) => type === FrameType.ResponseHeader).length, 1);
  if (code !== OK) {
    assert.equal(answer.messages.length, 0, "no message with a unary error");
  }
  return answer;
}

/**
 * The server sent no TRAILER and reset the stream (a clean end where resets
 * may look so). In a call (`inCall`) a RESPONSE_HEADER may have gone out
 * before (5.1 lets a server send it at once); between calls nothing may.
 */
async function expectReset(context: ServerContext, raw: RawStream, inCall = false): Promise<void> {
  const { frames, end } = await raw.outcome();
  const types = frames.map((frame) => frame.type);
  assert.deepEqual(
    inCall && types[0] === FrameType.ResponseHeader ? types.slice(1) : types,
    [],
    "no TRAILER, nor any other frame",
  );
  if (!context.resetMayLookClean) {
    assert.equal(end, "reset", "the server resets the stream");
  }
}

/** The stream carries another call of its method: nothing of the last one was left behind. */
async function servesNext(raw: RawStream): Promise<void> {
  raw.send(header(), requestMessage({ text: "next", repeat: 1 }), END_OF_INPUT);
  const answer = await expectStatus(raw, OK);
  assert.equal(answer.messages[0]?.text, "next");
}

/** The connection still serves calls on new streams: the peer and the connection survived. */
async function connectionServes(context: ServerContext): Promise<void> {
  const raw = await open(context, unary);
  await servesNext(raw);
  await raw.closeWrite();
}

/** A unary call of `text` whose request header carries `metadata`. */
async function unaryWithMetadata(
  context: ServerContext,
  metadata: RawMetadata,
  echoMetadataKey: string,
): Promise<Answer> {
  const raw = await open(context, unary);
  raw.send(header(metadata), requestMessage({ text: "m", echoMetadataKey }), END_OF_INPUT);
  return answerOf(raw);
}

/** An empty frame of `type` whose length prefix (1) is padded to a non-minimal varint, `81 00`. */
function nonMinimalFrame(type: FrameType): Uint8Array {
  return Uint8Array.of(0x81, 0x00, type); // payload length 1, in two bytes
}

type Row = ConformanceCase<ServerContext>;

/**
 * The server rows: each drives a server through raw frames (never through a
 * p2prpc client) and checks one MUST or SHOULD of docs/PROTOCOL.md.
 */
export const SERVER_CASES: readonly Row[] = [
  {
    id: "server.negotiation-na",
    section: "§2",
    requirement: "MUST",
    rule: "A server answers `na` for a method it does not serve.",
    async run(context) {
      const protocol = methodProtocol(unary).replace("/Unary/", "/NoSuchMethod/");
      await assert.rejects(
        context.node.dialProtocol(context.peer, protocol, { signal: context.signal }),
        (error: Error) => error.name === "UnsupportedProtocolError",
      );
    },
  },
  {
    id: "server.unary-ok",
    section: "§4.1, §5.1",
    requirement: "MUST",
    rule: "A unary call is answered RESPONSE_HEADER, one MESSAGE, an OK TRAILER.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(header(), requestMessage({ text: "Ada" }), END_OF_INPUT);
      const answer = await expectStatus(raw, OK);
      assert.deepEqual(answer.types, [
        FrameType.ResponseHeader,
        FrameType.Message,
        FrameType.Trailer,
      ]);
      assert.equal(answer.messages[0]?.text, "Ada");
      assert.equal(answer.trailer.message, "", "an OK TRAILER has no message (§8)");
      assert.equal(answer.trailer.details.length, 0, "an OK TRAILER has no details (§8)");
    },
  },
  {
    id: "server.fields-any-order",
    section: "§1",
    requirement: "MUST",
    rule: "A request message's fields are accepted in any order, not only by field number.",
    async run(context) {
      const raw = await open(context, unary);
      // repeat = 0 (field 6), then text = "late" (field 1): field 6 first.
      const body = Uint8Array.of(0x30, 0x00, 0x0a, 0x04, 0x6c, 0x61, 0x74, 0x65);
      raw.send(header(), rawFrame(FrameType.Message, body), END_OF_INPUT);
      assert.equal((await expectStatus(raw, OK)).messages[0]?.text, "late");
    },
  },
  {
    id: "server.empty-request-header",
    section: "§4",
    requirement: "MUST",
    rule: "An empty REQUEST_HEADER (`01 01`: no metadata, no deadline) starts a call.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(requestHeader(), requestMessage({ text: "empty" }), END_OF_INPUT);
      assert.equal((await expectStatus(raw, OK)).messages[0]?.text, "empty");
    },
  },
  {
    id: "server.header-on-error",
    section: "§5.1",
    requirement: "MUST",
    rule: "A failed call gets exactly one RESPONSE_HEADER, before its TRAILER.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(header(), requestMessage({ text: "no", failCode: Code.NotFound }), END_OF_INPUT);
      const answer = await expectStatus(raw, Code.NotFound);
      assert.deepEqual(answer.types, [FrameType.ResponseHeader, FrameType.Trailer]);
    },
  },
  {
    id: "server.unary-message-count",
    section: "§5.1",
    requirement: "MUST",
    rule: "Zero or two request messages in a unary call fail it with Unimplemented; the stream stays usable.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(header(), END_OF_INPUT);
      await expectStatus(raw, Code.Unimplemented);
      raw.send(
        header(),
        requestMessage({ text: "1" }),
        requestMessage({ text: "2" }),
        END_OF_INPUT,
      );
      await expectStatus(raw, Code.Unimplemented);
      await servesNext(raw);
    },
  },
  {
    id: "server.server-stream",
    section: "§5.1",
    requirement: "MUST",
    rule: "A server-streaming call is answered RESPONSE_HEADER, its MESSAGEs in order, a TRAILER.",
    async run(context) {
      const raw = await open(context, serverStream);
      raw.send(header(), requestMessage({ text: "s", repeat: 3 }), END_OF_INPUT);
      const answer = await expectStatus(raw, OK);
      assert.deepEqual(
        answer.messages.map((message) => message.index),
        [0, 1, 2],
      );
    },
  },
  {
    id: "server.client-stream-one-response",
    section: "§5.1",
    requirement: "MUST",
    rule: "A client-streaming call that ends OK carries exactly one response MESSAGE.",
    async run(context) {
      const raw = await open(context, clientStream);
      raw.send(header(), requestMessage({ text: "a" }), requestMessage({ text: "b" }));
      raw.send(requestMessage({ text: "c" }), END_OF_INPUT);
      const answer = await expectStatus(raw, OK);
      assert.equal(answer.messages.length, 1);
      assert.equal(answer.messages[0]?.text, "a,b,c");
      assert.equal(answer.messages[0]?.index, 3);
    },
  },
  {
    id: "server.bidi-before-end-of-input",
    section: "§5.1",
    requirement: "SHOULD",
    rule: "A bidi server hands each request to the handler as it arrives, answering before END_OF_INPUT.",
    async run(context) {
      const raw = await open(context, bidi);
      raw.send(header(), requestMessage({ text: "ping" }));
      const first = await raw.read();
      assert.equal(first?.type, FrameType.ResponseHeader);
      const second = await raw.read();
      assert.ok(second !== undefined && second.type === FrameType.Message);
      assert.equal(fromBinary(ConformanceResponseSchema, second.body).text, "ping");
      raw.send(END_OF_INPUT);
      const end = await raw.read();
      assert.equal(end?.type, FrameType.Trailer);
    },
  },
  {
    id: "server.eof-mid-call",
    section: "§5.2",
    requirement: "MUST",
    rule: "End-of-file before END_OF_INPUT cancels the call: no TRAILER, the stream is reset, the connection lives.",
    async run(context) {
      for (const [method, frames] of [
        [clientStream, [header()]],
        [clientStream, [header(), requestMessage({ text: "a" })]],
        [bidi, [header(), requestMessage({ text: "a", sleepMs: 60_000 })]],
        [serverStream, [header()]],
      ] as const) {
        const raw = await open(context, method);
        raw.send(...frames);
        await raw.closeWrite();
        await expectReset(context, raw, true);
      }
      await connectionServes(context);
    },
  },
  {
    id: "server.eof-after-unary-message",
    section: "§5.2",
    requirement: "MUST",
    rule: "A unary client that half-closes after its message without END_OF_INPUT gets no TRAILER and a reset.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(header(), requestMessage({ text: "no end" }));
      await raw.closeWrite();
      await expectReset(context, raw, true);
    },
  },
  {
    id: "server.reset-mid-call",
    section: "§5.4",
    requirement: "MUST",
    rule: "A call the client resets ends there; other calls and the connection are unaffected.",
    async run(context) {
      const other = await open(context, bidi);
      other.send(header(), requestMessage({ text: "before" }));
      await answerPart(other, "before");
      const raw = await open(context, unary);
      raw.send(header(), requestMessage({ text: "hang", sleepMs: 60_000 }), END_OF_INPUT);
      raw.stream.abort(new Error("cancelled by the conformance suite"));
      other.send(requestMessage({ text: "after" }), END_OF_INPUT);
      await answerPart(other, "after");
      assert.equal((await raw.outcome()).frames.length, 0);
      await connectionServes(context);
    },
  },
  {
    id: "server.zero-length-frame",
    section: "§3",
    requirement: "MUST",
    rule: "A zero-length frame (`00`) is a framing error: the stream is reset.",
    async run(context) {
      const idle = await open(context, unary);
      idle.send(Uint8Array.of(0x00));
      await expectReset(context, idle);
      const inCall = await open(context, clientStream);
      inCall.send(header(), Uint8Array.of(0x00));
      await expectReset(context, inCall, true);
      await connectionServes(context);
    },
  },
  {
    id: "server.prefix-too-long",
    section: "§3",
    requirement: "MUST",
    rule: "Eight length-prefix bytes all with the continuation bit set are a framing error.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(new Uint8Array(8).fill(0x80));
      await expectReset(context, raw);
      await connectionServes(context);
    },
  },
  {
    id: "server.non-minimal-prefix",
    section: "§3",
    requirement: "MUST",
    rule: "A length prefix longer than its minimal encoding (`81 00`) is a framing error.",
    async run(context) {
      const idle = await open(context, unary);
      idle.send(nonMinimalFrame(FrameType.RequestHeader));
      await expectReset(context, idle);
      const inCall = await open(context, clientStream);
      inCall.send(header(), nonMinimalFrame(FrameType.EndOfInput));
      await expectReset(context, inCall, true);
      await connectionServes(context);
    },
  },
  {
    id: "server.eof-inside-frame",
    section: "§3",
    requirement: "MUST",
    rule: "The stream ending inside a frame is a framing error: no TRAILER, a reset.",
    async run(context) {
      const raw = await open(context, clientStream);
      raw.send(header(), Uint8Array.of(0x05, 0x03, 0x0a));
      await raw.closeWrite();
      await expectReset(context, raw, true);
    },
  },
  {
    id: "server.first-frame-not-header",
    section: "§5.3",
    requirement: "MUST",
    rule: "A stream whose first frame is not REQUEST_HEADER is reset.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(requestMessage({ text: "x" }), END_OF_INPUT);
      await expectReset(context, raw);
    },
  },
  {
    id: "server.unknown-frame-type",
    section: "§4, §5.3",
    requirement: "MUST",
    rule: "A frame of an unknown type in a call aborts it: no TRAILER, a reset.",
    async run(context) {
      const raw = await open(context, clientStream);
      raw.send(header(), rawFrame(0x09));
      await expectReset(context, raw, true);
      await connectionServes(context);
    },
  },
  {
    id: "server.wrong-direction-frame",
    section: "§4, §5.3",
    requirement: "MUST",
    rule: "A server-to-client frame type (TRAILER) from the client in a call aborts it: no TRAILER, a reset.",
    async run(context) {
      const raw = await open(context, clientStream);
      raw.send(header(), trailerFrame());
      await expectReset(context, raw, true);
    },
  },
  {
    id: "server.unknown-fields",
    section: "§4",
    requirement: "MUST",
    rule: "Unknown fields in a REQUEST_HEADER are ignored.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(
        requestHeader({ timeoutMs: CALL_TIMEOUT_MS, unknownField: true }),
        requestMessage({ text: "u" }),
        END_OF_INPUT,
      );
      await expectStatus(raw, OK);
    },
  },
  {
    id: "server.end-of-input-body",
    section: "§4",
    requirement: "SHOULD",
    rule: "A body on END_OF_INPUT is ignored.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(
        header(),
        requestMessage({ text: "b" }),
        rawFrame(FrameType.EndOfInput, Uint8Array.of(0)),
      );
      await expectStatus(raw, OK);
      await servesNext(raw);
    },
  },
  {
    id: "server.stream-reuse",
    section: "§6",
    requirement: "MUST",
    rule: "After TRAILER and END_OF_INPUT the next REQUEST_HEADER starts a new call; end-of-file in IDLE closes the stream cleanly.",
    async run(context) {
      const raw = await open(context, unary);
      for (const text of ["one", "two", "three"]) {
        raw.send(header(), requestMessage({ text }), END_OF_INPUT);
        assert.equal((await expectStatus(raw, OK)).messages[0]?.text, text);
      }
      await raw.closeWrite();
      assert.deepEqual(await raw.outcome(), { frames: [], end: "clean" });
    },
  },
  {
    id: "server.drain-after-early-trailer",
    section: "§6",
    requirement: "MUST",
    rule: "After ending a call before END_OF_INPUT, the server discards MESSAGE frames (oversized ones too) up to END_OF_INPUT, then serves the next call.",
    async run(context) {
      const raw = await open(context, clientStream);
      raw.send(header(), requestMessage({ text: "stop", failCode: Code.FailedPrecondition }));
      await expectStatus(raw, Code.FailedPrecondition);
      raw.send(requestMessage({ text: "late" }), oversizedMessage(context), END_OF_INPUT);
      await servesNext(raw);
    },
  },
  {
    id: "server.eof-in-drain",
    section: "§6",
    requirement: "MUST",
    rule: "End-of-file after a TRAILER but before END_OF_INPUT resets the stream; the finished call is unaffected.",
    async run(context) {
      const raw = await open(context, clientStream);
      raw.send(header(), requestMessage({ text: "stop", failCode: Code.Aborted }));
      await expectStatus(raw, Code.Aborted);
      await raw.closeWrite();
      const { frames, end } = await raw.outcome();
      assert.equal(frames.length, 0);
      if (!context.resetMayLookClean) {
        assert.equal(end, "reset");
      }
    },
  },
  {
    id: "server.frames-between-calls",
    section: "§6",
    requirement: "MUST",
    rule: "Between calls (IDLE) any frame but REQUEST_HEADER resets the stream; nothing is answered.",
    async run(context) {
      for (const stray of [requestMessage({ text: "x" }), END_OF_INPUT, rawFrame(0x09)]) {
        const raw = await open(context, unary);
        raw.send(header(), requestMessage({ text: "first" }), END_OF_INPUT);
        await expectStatus(raw, OK);
        raw.send(stray);
        await expectReset(context, raw);
      }
      await connectionServes(context);
    },
  },
  {
    id: "server.metadata-repeated-keys",
    section: "§7.1",
    requirement: "MUST",
    rule: "Every entry of a repeated key is kept, in order (a single-value view joins them with `, `).",
    async run(context) {
      const metadata: RawMetadata = [
        ["x-token", "tok-2"],
        ["x-other", "o"],
        ["x-token", "tok-1"],
        ["x-token", "tok-3"],
      ];
      const answer = await unaryWithMetadata(context, metadata, "x-token");
      assert.equal(answer.trailer.code, OK);
      assert.equal(answer.messages[0]?.metadataValue, "tok-2, tok-1, tok-3");
    },
  },
  {
    id: "server.metadata-upper-case-key",
    section: "§7.1",
    requirement: "MUST",
    rule: "A request metadata key that is not lower case fails the call with InvalidArgument.",
    async run(context) {
      const answer = await unaryWithMetadata(context, [["X-Token", "t"]], "x-token");
      assert.equal(answer.trailer.code, Code.InvalidArgument);
    },
  },
  {
    id: "server.metadata-invalid",
    section: "§7.1",
    requirement: "MUST",
    rule: "A key that is not an HTTP field name, or a value with CR, LF or NUL, fails the call with InvalidArgument.",
    async run(context) {
      for (const entry of [
        ["x token", "t"],
        ["x-token", "a\nb"],
        ["x-token", "a\0b"],
      ] as const) {
        const answer = await unaryWithMetadata(context, [entry], "x-token");
        assert.equal(answer.trailer.code, Code.InvalidArgument, JSON.stringify(entry));
      }
    },
  },
  {
    id: "server.timeout-zero",
    section: "§7.2",
    requirement: "MUST",
    rule: "`timeout_ms = 0` means the deadline has passed: DeadlineExceeded, and the handler does not run.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(requestHeader({ timeoutMs: 0 }), requestMessage({ text: "late" }), END_OF_INPUT);
      await expectStatus(raw, Code.DeadlineExceeded);
      await servesNext(raw);
    },
  },
  {
    id: "server.deadline",
    section: "§7.2",
    requirement: "MUST",
    rule: "When the deadline expires the server ends the call with a DeadlineExceeded TRAILER.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(
        requestHeader({ timeoutMs: 200 }),
        requestMessage({ text: "slow", sleepMs: 60_000 }),
        END_OF_INPUT,
      );
      await expectStatus(raw, Code.DeadlineExceeded);
      await servesNext(raw);
    },
  },
  {
    id: "server.status-fields",
    section: "§8",
    requirement: "MUST",
    rule: "A handler's status reaches the TRAILER as its code and raw message.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(header(), requestMessage({ text: "gone", failCode: Code.NotFound }), END_OF_INPUT);
      const answer = await expectStatus(raw, Code.NotFound);
      assert.equal(answer.trailer.message, "gone");
    },
  },
  {
    id: "server.internal-error",
    section: "§8",
    requirement: "SHOULD",
    rule: "A handler failure that is not an RPC status is sent as Internal, without revealing it.",
    async run(context) {
      const secret = `secret-${Math.random().toString(36).slice(2)}`;
      const raw = await open(context, unary);
      raw.send(header(), requestMessage({ text: secret, throwPlain: true }), END_OF_INPUT);
      const answer = await expectStatus(raw, Code.Internal);
      assert.ok(!answer.trailer.message.includes(secret), "the exception's text stays private");
    },
  },
  {
    id: "server.oversized-in-call",
    section: "§9",
    requirement: "MUST",
    rule: "An oversized MESSAGE in a call fails it with ResourceExhausted, read from its prefix; the stream stays usable.",
    async run(context) {
      const raw = await open(context, clientStream);
      raw.send(header(), oversizedMessage(context), END_OF_INPUT);
      await expectStatus(raw, Code.ResourceExhausted);
      await servesNext(raw);
    },
  },
  {
    id: "server.write-limit",
    section: "§9",
    requirement: "MUST",
    rule: "A response message over the server's write limit is not sent: the call ends with ResourceExhausted.",
    async run(context) {
      const raw = await open(context, unary);
      const paddingBytes = context.writeMaxBytes + 1;
      raw.send(header(), requestMessage({ text: "big", paddingBytes }), END_OF_INPUT);
      await expectStatus(raw, Code.ResourceExhausted);
      await servesNext(raw);
    },
  },
  {
    id: "server.oversized-first-frame",
    section: "§9",
    requirement: "MUST",
    rule: "An oversized first frame (in IDLE) resets the stream.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(oversizedMessage(context, FrameType.RequestHeader));
      await expectReset(context, raw);
      await connectionServes(context);
    },
  },
  {
    id: "server.undecodable-message",
    section: "§9",
    requirement: "MUST",
    rule: "A request message that does not decode fails the call with InvalidArgument.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(header(), rawFrame(FrameType.Message, Uint8Array.of(0x0a, 0x05)), END_OF_INPUT);
      await expectStatus(raw, Code.InvalidArgument);
      await servesNext(raw);
    },
  },
  {
    id: "server.undecodable-header",
    section: "§10",
    requirement: "MUST",
    rule: "A REQUEST_HEADER body that does not decode fails the call with InvalidArgument.",
    async run(context) {
      const raw = await open(context, unary);
      raw.send(rawFrame(FrameType.RequestHeader, Uint8Array.of(0x0a, 0x05)));
      raw.send(requestMessage({ text: "x" }), END_OF_INPUT);
      await expectStatus(raw, Code.InvalidArgument);
    },
  },
];

/** Reads a bidi answer's next MESSAGE (after the RESPONSE_HEADER, if it is the first) and checks its text. */
async function answerPart(raw: RawStream, text: string): Promise<void> {
  for (;;) {
    const item = await raw.read();
    assert.ok(item !== undefined && item.type !== "oversize", "a response frame");
    if (item.type === FrameType.Message) {
      assert.equal(fromBinary(ConformanceResponseSchema, item.body).text, text);
      return;
    }
    assert.equal(item.type, FrameType.ResponseHeader);
  }
}

/** A frame whose body is one byte over the server's read limit (all zero bytes). */
function oversizedMessage(context: ServerContext, type: FrameType = FrameType.Message): Uint8Array {
  return rawFrame(type, new Uint8Array(context.readMaxBytes + 1));
}
