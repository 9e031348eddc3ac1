import assert from "node:assert/strict";
import { type DescMethod, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { type CallOptions, type Client, Code, ConnectError } from "@connectrpc/connect";
import {
  type ConformanceRequest,
  ConformanceRequestSchema,
  type ConformanceService,
  ConformanceService as Service,
} from "../gen/p2prpc/conformance/v1/conformance_pb.ts";
import { type RequestHeader, RequestHeaderSchema } from "../gen/p2prpc/wire/v1/wire_pb.ts";
import type { Libp2pTransportCommonOptions } from "../src/index.ts";
import { FrameType } from "../src/wire/frame-type.ts";
import type { ConformanceCase } from "./conformance-case.ts";
import { rawFrame, requestHeader, responseHeader, responseMessage, trailer } from "./frames.ts";
import type { RawStream } from "./raw-stream.ts";
import type { ScriptedServer, StreamScript } from "./scripted-server.ts";

/** What a client row needs: a scripted raw server, and clients of it. */
export interface ClientContext {
  /** Aborts when the row runs out of time; every call of the row carries it. */
  readonly signal: AbortSignal;
  readonly server: ScriptedServer;
  /** A client of the scripted server on a transport of its own (no stream shared with other rows). */
  client(options?: Partial<Libp2pTransportCommonOptions>): Client<typeof ConformanceService>;
  /** One round trip between the two nodes on their connection (a libp2p ping from the server). */
  roundTrip(): Promise<void>;
  /** True over QUIC, which may deliver the client's reset as a clean end. */
  readonly resetMayLookClean: boolean;
}

/** Every call a row makes carries this deadline, unless the row is about deadlines. */
const CALL_TIMEOUT_MS = 5000;

const { unary, serverStream, clientStream } = Service.method;

type Row = ConformanceCase<ClientContext>;

/** The options of every call: the suite's deadline and the row's signal. */
const options = (context: ClientContext, extra: CallOptions = {}): CallOptions => ({
  timeoutMs: CALL_TIMEOUT_MS,
  signal: context.signal,
  ...extra,
});

/** What a client sent for one call, read up to its END_OF_INPUT. */
interface ReceivedCall {
  readonly header: RequestHeader;
  readonly messages: readonly ConformanceRequest[];
}

/**
 * Reads one call: REQUEST_HEADER, MESSAGEs, END_OF_INPUT, and checks the
 * client had not ended its side by then (5.2). Undefined at a clean end
 * before any frame (the client closed an idle stream).
 */
async function readCall(raw: RawStream): Promise<ReceivedCall | undefined> {
  const first = await raw.read();
  if (first === undefined) {
    return undefined;
  }
  assert.equal(first.type, FrameType.RequestHeader, "a call starts with REQUEST_HEADER");
  const header = fromBinary(RequestHeaderSchema, (first as { body: Uint8Array }).body);
  const messages: ConformanceRequest[] = [];
  for (;;) {
    const item = await raw.read();
    assert.ok(item !== undefined, "the client ended its side before END_OF_INPUT");
    if (item.type === FrameType.EndOfInput) {
      assert.equal(raw.remoteEnded, false, "no end-of-file during the call");
      return { header, messages };
    }
    assert.equal(item.type, FrameType.Message, "only MESSAGE frames before END_OF_INPUT");
    messages.push(fromBinary(ConformanceRequestSchema, (item as { body: Uint8Array }).body));
  }
}

/** A script that reads one call and answers `frames`. */
function answers(...frames: Uint8Array[]): StreamScript {
  return async (raw) => {
    await readCall(raw);
    raw.send(...frames);
    await raw.outcome();
  };
}

/** The code a call's promise rejects with. */
async function codeOf(call: Promise<unknown>): Promise<Code> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error).code;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

async function* inputOf(
  ...requests: MessageInitShape<typeof ConformanceRequestSchema>[]
): AsyncIterable<MessageInitShape<typeof ConformanceRequestSchema>> {
  yield* requests;
}

async function drain(messages: AsyncIterable<unknown>): Promise<unknown[]> {
  const all: unknown[] = [];
  for await (const message of messages) {
    all.push(message);
  }
  return all;
}

/** Runs a unary call against `script` and returns the code it fails with. */
async function unaryCode(
  context: ClientContext,
  script: StreamScript,
  method: DescMethod = unary,
  extra?: Partial<Libp2pTransportCommonOptions>,
): Promise<Code> {
  await context.server.script(method, script);
  return codeOf(context.client(extra).unary({ text: "x" }, options(context)));
}

/** The client reset the stream (where resets may look like clean ends, any end). */
async function expectClientReset(context: ClientContext, raw: RawStream): Promise<void> {
  const { end } = await raw.outcome();
  if (!context.resetMayLookClean) {
    assert.equal(end, "reset", "the client resets the stream");
  }
}

const OK_TRAILER = trailer();

/**
 * The client rows: each drives p2prpc's client (`createLibp2pTransport`)
 * against a scripted raw server and checks one MUST or SHOULD of
 * docs/PROTOCOL.md.
 */
export const CLIENT_CASES: readonly Row[] = [
  {
    id: "client.negotiation-na",
    section: "§2",
    requirement: "MUST",
    rule: "A method the server does not serve (`na`) fails the call with Unimplemented.",
    async run(context) {
      const client = context.client({ protocolPrefix: "/p2prpc-not-served" });
      assert.equal(await codeOf(client.unary({ text: "x" }, options(context))), Code.Unimplemented);
    },
  },
  {
    id: "client.unary-ok",
    section: "§4.1, §5.1",
    requirement: "MUST",
    rule: "A unary call sends REQUEST_HEADER, one MESSAGE, END_OF_INPUT, and takes the one MESSAGE before an OK TRAILER.",
    async run(context) {
      let received: ReceivedCall | undefined;
      await context.server.script(unary, async (raw) => {
        received = await readCall(raw);
        raw.send(responseHeader(), responseMessage({ text: "Hello, Ada!" }), OK_TRAILER);
        await raw.outcome();
      });
      const response = await context.client().unary({ text: "Ada" }, options(context));
      assert.equal(response.text, "Hello, Ada!");
      assert.equal(received?.messages.length, 1);
      assert.equal(received?.messages[0]?.text, "Ada");
    },
  },
  {
    id: "client.trailer-without-header",
    section: "§5.1",
    requirement: "MUST",
    rule: "A TRAILER in place of the RESPONSE_HEADER ends the call with its status.",
    async run(context) {
      const code = await unaryCode(context, answers(trailer({ code: Code.NotFound })));
      assert.equal(code, Code.NotFound);
    },
  },
  {
    id: "client.unary-message-count",
    section: "§5.1",
    requirement: "MUST",
    rule: "A unary call answered OK with zero or two MESSAGEs fails with Unimplemented.",
    async run(context) {
      assert.equal(
        await unaryCode(context, answers(responseHeader(), OK_TRAILER)),
        Code.Unimplemented,
      );
      const two = answers(responseHeader(), responseMessage(), responseMessage(), OK_TRAILER);
      assert.equal(await unaryCode(context, two), Code.Unimplemented);
    },
  },
  {
    id: "client.client-stream-message-count",
    section: "§5.1",
    requirement: "MUST",
    rule: "A client-streaming call answered OK with zero or two MESSAGEs fails with Unimplemented.",
    async run(context) {
      for (const script of [
        answers(responseHeader(), OK_TRAILER),
        answers(responseHeader(), responseMessage(), responseMessage(), OK_TRAILER),
      ]) {
        await context.server.script(clientStream, script);
        const call = context.client().clientStream(inputOf({ text: "a" }), options(context));
        assert.equal(await codeOf(call), Code.Unimplemented);
      }
    },
  },
  {
    id: "client.no-wait-for-header",
    section: "§5.1",
    requirement: "MUST",
    rule: "A client sends its request messages without waiting for the RESPONSE_HEADER.",
    async run(context) {
      await context.server.script(clientStream, async (raw) => {
        // Nothing is answered before the whole input is here.
        const call = await readCall(raw);
        raw.send(
          responseHeader(),
          responseMessage({ text: `${call?.messages.length}` }),
          OK_TRAILER,
        );
      });
      const input = inputOf({ text: "a" }, { text: "b" }, { text: "c" });
      assert.equal((await context.client().clientStream(input, options(context))).text, "3");
    },
  },
  {
    id: "client.end-of-input-explicit",
    section: "§5.2",
    requirement: "MUST",
    rule: "The client ends its input with END_OF_INPUT and does not half-close before the TRAILER.",
    async run(context) {
      for (const method of [unary, clientStream]) {
        await context.server.script(method, async (raw) => {
          await readCall(raw);
          // Anything the client wrote before the ping's answer has arrived by now.
          await context.roundTrip();
          assert.equal(raw.remoteEnded, false, "no end-of-file before the TRAILER");
          raw.send(responseHeader(), responseMessage({ text: "ok" }), OK_TRAILER);
        });
      }
      const client = context.client();
      assert.equal((await client.unary({ text: "a" }, options(context))).text, "ok");
      const streamed = await client.clientStream(
        inputOf({ text: "a" }, { text: "b" }),
        options(context),
      );
      assert.equal(streamed.text, "ok");
      await context.server.run(0);
      await context.server.run(1);
    },
  },
  {
    id: "client.eof-before-trailer",
    section: "§5.2, §10",
    requirement: "MUST",
    rule: "End-of-file before the TRAILER fails the call with Unavailable.",
    async run(context) {
      const closes: StreamScript = async (raw) => {
        await readCall(raw);
        raw.send(responseHeader(), responseMessage({ text: "partial" }));
        await raw.closeWrite();
        await raw.outcome();
      };
      assert.equal(await unaryCode(context, closes), Code.Unavailable);
      await context.server.script(serverStream, closes);
      const stream = context.client().serverStream({ text: "s" }, options(context));
      assert.equal(await codeOf(drain(stream)), Code.Unavailable);
    },
  },
  {
    id: "client.reset-before-trailer",
    section: "§5.3, §10",
    requirement: "MUST",
    rule: "A reset by the server during a call fails it with Unavailable.",
    async run(context) {
      const resets: StreamScript = async (raw) => {
        await readCall(raw);
        raw.send(responseHeader());
        raw.stream.abort(new Error("reset by the scripted server"));
      };
      assert.equal(await unaryCode(context, resets), Code.Unavailable);
    },
  },
  {
    id: "client.unexpected-frame",
    section: "§5.3",
    requirement: "MUST",
    rule: "A frame not allowed in the response (a client-side type, an unknown type) fails the call with Internal and resets the stream.",
    async run(context) {
      for (const frame of [requestHeader(), rawFrame(0x09), responseHeader()]) {
        const code = await unaryCode(context, async (raw) => {
          await readCall(raw);
          raw.send(responseHeader(), frame);
          await expectClientReset(context, raw);
        });
        assert.equal(code, Code.Internal);
        await context.server.run(context.server.streams - 1);
      }
    },
  },
  {
    id: "client.framing-error",
    section: "§3, §10",
    requirement: "MUST",
    rule: "A framing error (non-minimal or over-long prefix, zero-length frame, end inside a frame) fails the call with Internal.",
    async run(context) {
      for (const bytes of [
        Uint8Array.of(0x81, 0x00, FrameType.Trailer),
        new Uint8Array(8).fill(0x80),
        Uint8Array.of(0x00),
      ]) {
        assert.equal(await unaryCode(context, answers(responseHeader(), bytes)), Code.Internal);
      }
      const cut: StreamScript = async (raw) => {
        await readCall(raw);
        raw.send(responseHeader(), Uint8Array.of(0x05, 0x03, 0x0a));
        await raw.closeWrite();
        await raw.outcome();
      };
      assert.equal(await unaryCode(context, cut), Code.Internal);
    },
  },
  {
    id: "client.oversized-response",
    section: "§9",
    requirement: "MUST",
    rule: "A response frame over the client's read limit fails the call with ResourceExhausted.",
    async run(context) {
      const big = responseMessage({ text: "x".repeat(2048) });
      const code = await unaryCode(context, answers(responseHeader(), big, OK_TRAILER), unary, {
        readMaxBytes: 1024,
      });
      assert.equal(code, Code.ResourceExhausted);
    },
  },
  {
    id: "client.write-limit",
    section: "§9",
    requirement: "MUST",
    rule: "A request message over the client's write limit fails the call with ResourceExhausted before it is sent.",
    async run(context) {
      let messages = 0;
      await context.server.script(unary, async (raw) => {
        for (let item = await raw.read(); item !== undefined; item = await raw.read()) {
          messages += item.type === FrameType.Message ? 1 : 0;
        }
      });
      const client = context.client({ writeMaxBytes: 1024 });
      const call = client.unary({ text: "x".repeat(2048) }, options(context));
      assert.equal(await codeOf(call), Code.ResourceExhausted);
      assert.equal(messages, 0, "the message never reached the server");
    },
  },
  {
    id: "client.ok-trailer-fields-ignored",
    section: "§8",
    requirement: "MUST",
    rule: "An OK TRAILER's message and details are ignored: the call succeeds.",
    async run(context) {
      const detail = { type: "google.rpc.RetryInfo", value: new Uint8Array(0) };
      const ok = trailer({ message: "ignored", details: [detail] });
      await context.server.script(
        unary,
        answers(responseHeader(), responseMessage({ text: "ok" }), ok),
      );
      assert.equal((await context.client().unary({ text: "x" }, options(context))).text, "ok");
    },
  },
  {
    id: "client.unknown-code",
    section: "§8",
    requirement: "MUST",
    rule: "A status code above 16 is reported as Unknown.",
    async run(context) {
      assert.equal(
        await unaryCode(context, answers(responseHeader(), trailer({ code: 99 }))),
        Code.Unknown,
      );
    },
  },
  {
    id: "client.status-fields",
    section: "§8",
    requirement: "MUST",
    rule: "An error TRAILER's code, message, details and metadata reach the caller.",
    async run(context) {
      const detail = {
        type: "p2prpc.conformance.v1.ConformanceResponse",
        value: Uint8Array.of(0x0a, 0x01, 0x64),
      };
      await context.server.script(
        unary,
        answers(
          responseHeader({ metadata: [["x-h", "h"]] }),
          trailer({
            code: Code.PermissionDenied,
            message: "denied",
            details: [detail],
            metadata: [["x-t", "t"]],
          }),
        ),
      );
      try {
        await context.client().unary({ text: "x" }, options(context));
        assert.fail("the call succeeded");
      } catch (reason) {
        const error = ConnectError.from(reason);
        assert.equal(error.code, Code.PermissionDenied);
        assert.equal(error.rawMessage, "denied");
        assert.deepEqual(
          error.details.map((item) => ("type" in item ? item.type : item.desc.typeName)),
          [detail.type],
        );
        assert.equal(error.metadata.get("x-t"), "t");
        assert.equal(error.metadata.get("x-h"), "h");
      }
    },
  },
  {
    id: "client.metadata-upper-case-key",
    section: "§7.1",
    requirement: "MUST",
    rule: "Response metadata whose key is not lower case fails the call with Internal.",
    async run(context) {
      const frames = [
        responseHeader({ metadata: [["X-Upper", "v"]] }),
        responseMessage(),
        OK_TRAILER,
      ];
      assert.equal(await unaryCode(context, answers(...frames)), Code.Internal);
    },
  },
  {
    id: "client.metadata-repeated-keys",
    section: "§7.1",
    requirement: "MUST",
    rule: "Every entry of a repeated response metadata key is kept, in order (a single-value view joins them with `, `).",
    async run(context) {
      await context.server.script(
        unary,
        answers(
          responseHeader({
            metadata: [
              ["x-r", "2"],
              ["x-o", "o"],
              ["x-r", "1"],
            ],
          }),
          responseMessage(),
          trailer({
            metadata: [
              ["x-s", "b"],
              ["x-s", "a"],
            ],
          }),
        ),
      );
      let header: Headers | undefined;
      let trailers: Headers | undefined;
      await context.client().unary(
        { text: "x" },
        options(context, {
          onHeader: (value) => {
            header = value;
          },
          onTrailer: (value) => {
            trailers = value;
          },
        }),
      );
      assert.equal(header?.get("x-r"), "2, 1");
      assert.equal(trailers?.get("x-s"), "b, a");
    },
  },
  {
    id: "client.unknown-fields",
    section: "§4",
    requirement: "MUST",
    rule: "Unknown fields in RESPONSE_HEADER and TRAILER are ignored.",
    async run(context) {
      await context.server.script(
        unary,
        answers(
          responseHeader({ unknownField: true }),
          responseMessage({ text: "fine" }),
          trailer({ unknownField: true }),
        ),
      );
      assert.equal((await context.client().unary({ text: "x" }, options(context))).text, "fine");
    },
  },
  {
    id: "client.timeout-sent",
    section: "§7.2",
    requirement: "MUST",
    rule: "`timeout_ms` is the time the call still has (at most its timeout, above 0 while it has time); absent without a deadline.",
    async run(context) {
      const seen: (number | undefined)[] = [];
      await context.server.script(unary, async (raw) => {
        for (let call = await readCall(raw); call !== undefined; call = await readCall(raw)) {
          seen.push(call.header.timeoutMs);
          raw.send(responseHeader(), responseMessage(), OK_TRAILER);
        }
      });
      const client = context.client();
      await client.unary({ text: "x" }, options(context, { timeoutMs: 3000 }));
      // No deadline: the row's signal still ends the call if it hangs.
      await client.unary({ text: "x" }, { signal: context.signal, timeoutMs: 0 });
      const [withDeadline, without] = seen;
      assert.ok(withDeadline !== undefined && withDeadline > 0 && withDeadline <= 3000);
      assert.equal(without, undefined);
    },
  },
  {
    id: "client.deadline-outcome",
    section: "§7.2",
    requirement: "MUST",
    rule: "A call whose deadline passes fails with DeadlineExceeded, whether the client's timer or the server's DeadlineExceeded TRAILER ends it.",
    async run(context) {
      const silent: StreamScript = async (raw) => {
        await readCall(raw);
        await expectClientReset(context, raw);
      };
      const serverFirst: StreamScript = answers(
        responseHeader(),
        trailer({ code: Code.DeadlineExceeded }),
      );
      for (const script of [silent, serverFirst]) {
        await context.server.script(unary, script);
        await context.server.script(serverStream, script);
        const client = context.client();
        const call = options(context, { timeoutMs: 300 });
        assert.equal(await codeOf(client.unary({ text: "x" }, call)), Code.DeadlineExceeded);
        const stream = client.serverStream({ text: "x" }, call);
        assert.equal(await codeOf(drain(stream)), Code.DeadlineExceeded);
        await context.server.script(clientStream, script);
        const upload = client.clientStream(inputOf({ text: "x" }), call);
        assert.equal(await codeOf(upload), Code.DeadlineExceeded);
      }
    },
  },
  {
    id: "client.frames-between-calls",
    section: "§6",
    requirement: "MUST",
    rule: "A frame that arrives on an idle stream after a call's TRAILER is never taken as the next call's answer.",
    async run(context) {
      await context.server.script(unary, async (raw, index) => {
        for (let call = await readCall(raw); call !== undefined; call = await readCall(raw)) {
          const answer = [
            responseHeader(),
            responseMessage({ text: `stream ${index}` }),
            OK_TRAILER,
          ];
          // The first stream sends a stray TRAILER right behind its answer.
          raw.send(...answer, ...(index === 0 ? [trailer({ code: Code.DataLoss })] : []));
        }
      });
      const client = context.client();
      assert.equal((await client.unary({ text: "1" }, options(context))).text, "stream 0");
      const second = await client.unary({ text: "2" }, options(context));
      assert.notEqual(second.text, "stream 0");
    },
  },
  {
    id: "client.calls-in-turn",
    section: "§6",
    requirement: "MUST",
    rule: "On a stream it reuses, the client starts a call only after the last one's END_OF_INPUT and TRAILER.",
    async run(context) {
      let calls = 0;
      await context.server.script(unary, async (raw) => {
        for (let call = await readCall(raw); call !== undefined; call = await readCall(raw)) {
          calls++;
          raw.send(responseHeader(), responseMessage({ text: call.messages[0]?.text }), OK_TRAILER);
        }
      });
      const client = context.client();
      for (const text of ["a", "b", "c"]) {
        assert.equal((await client.unary({ text }, options(context))).text, text);
      }
      assert.equal(calls, 3);
    },
  },
  {
    id: "client.server-closed-idle-stream",
    section: "§6",
    requirement: "MUST",
    rule: "A client does not start a call on a stream whose remote side closed: the call runs on another stream.",
    async run(context) {
      const afterClose: number[] = [];
      await context.server.script(unary, async (raw, index) => {
        const call = await readCall(raw);
        if (call === undefined) {
          return;
        }
        raw.send(responseHeader(), responseMessage({ text: `stream ${index}` }), OK_TRAILER);
        // The server closes the stream between calls (shutdown, idle close).
        await raw.closeWrite();
        afterClose[index] = (await raw.outcome()).frames.length;
      });
      const client = context.client();
      assert.equal((await client.unary({ text: "1" }, options(context))).text, "stream 0");
      // The close was written before the ping: on one Yamux connection it
      // has reached the client when the ping's answer has (not so over QUIC,
      // whose streams are not ordered with each other).
      await context.roundTrip();
      assert.equal((await client.unary({ text: "2" }, options(context))).text, "stream 1");
      await context.server.run(0);
      if (!context.resetMayLookClean) {
        assert.equal(afterClose[0], 0, "no frame sent on the closed stream");
      }
    },
  },
  {
    id: "client.cancel-resets",
    section: "§5.4",
    requirement: "MUST",
    rule: "A client cancels a call by resetting its stream.",
    async run(context) {
      const controller = new AbortController();
      await context.server.script(unary, async (raw) => {
        await readCall(raw);
        const reset = expectClientReset(context, raw);
        controller.abort();
        await reset;
      });
      const call = context.client().unary(
        { text: "x" },
        {
          timeoutMs: CALL_TIMEOUT_MS,
          signal: AbortSignal.any([controller.signal, context.signal]),
        },
      );
      assert.equal(await codeOf(call), Code.Canceled);
      await context.server.run(0);
    },
  },
];
