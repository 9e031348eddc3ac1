// serveCall, the server's call runner, on its own: a scripted reader for the
// client's frames, a recording writer for the server's, a real CallControl.
// Each test pins down one rule of PROTOCOL.md (5.1, 5.2, 5.3, 6, 7.2, 8, 9).
import assert from "node:assert/strict";
import {
  create,
  type DescMethod,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createMethodImplSpec,
  type HandlerContext,
  type MethodImpl,
} from "@connectrpc/connect";
import type { Connection, Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { afterEach, describe, it, vi } from "vitest";
import {
  type EchoRequest,
  EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
} from "../../gen/p2prpc/test/v1/test_pb.ts";
import { RequestHeaderSchema, TrailerSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { CallControl } from "../../src/call-control.ts";
import { getRemotePeer } from "../../src/server/remote-peer.ts";
import { serveCall } from "../../src/server/serve-call.ts";
import type { ServedMethod } from "../../src/server/served-method.ts";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import { type DecodedItem, FrameDecoder } from "../../src/wire/frame-decoder.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import type { FrameWriter } from "../../src/wire/frame-writer.ts";
import {
  END_OF_INPUT_ITEM,
  frameItem,
  messageItem,
  ScriptedReader,
} from "../helpers/scripted-reader.ts";
import { servedMethod } from "../helpers/served-method.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { within } from "../helpers/within.ts";

/** Records every write the call makes, as the bytes and the writer method that took them. */
class RecordingWriter {
  readonly writes: Array<{ how: string; bytes: Uint8Array }> = [];
  readonly readsReported = false;

  write(frames: Uint8Array | readonly Uint8Array[]): undefined {
    return this.#record("write", frames);
  }

  writeNow(frames: Uint8Array | readonly Uint8Array[]): undefined {
    return this.#record("writeNow", frames);
  }

  writeFrame(type: FrameType, body: Uint8Array): undefined {
    return this.#record("writeFrame", encodeFrame(type, body));
  }

  writeLarge(): never {
    throw new Error("no test message is large enough to be sent by reference");
  }

  settleByReference(): undefined {
    return undefined;
  }

  abandonByReference(): void {}

  /** Every frame written, in order. */
  frames(): DecodedItem[] {
    return new FrameDecoder(Number.MAX_SAFE_INTEGER).push(
      concatFrames(this.writes.map((write) => write.bytes)),
    );
  }

  /** The types of every frame written, in order. */
  types(): Array<FrameType | "oversize"> {
    return this.frames().map((item) => item.type);
  }

  /** The TRAILER written (the test fails without one). */
  trailer() {
    const last = this.frames().at(-1);
    assert.ok(last !== undefined && last.type === FrameType.Trailer, `no trailer: ${this.types()}`);
    return fromBinary(TrailerSchema, last.body);
  }

  #record(how: string, frames: Uint8Array | readonly Uint8Array[]): undefined {
    this.writes.push({ how, bytes: frames instanceof Uint8Array ? frames : concatFrames(frames) });
    return undefined;
  }
}

const { ResponseHeader: H, Message: M, Trailer: T } = FrameType;
const REMOTE_PEER = { toString: () => "12D3KooWTestPeer" };
const CONNECTION = {
  remotePeer: REMOTE_PEER,
  remoteAddr: multiaddr("/ip4/127.0.0.1/tcp/4001"),
} as unknown as Connection;
const STREAM = { id: "s1" } as unknown as Stream;
/** The next call's REQUEST_HEADER on a reused stream: never this call's to read. */
const NEXT_HEADER = frameItem(FrameType.RequestHeader);

const request = (text: string) => messageItem(EchoRequestSchema, { text });

/** A served method of EchoService whose handler is `impl`. */
function echoMethod<M extends DescMethod>(
  method: M,
  impl: MethodImpl<M>,
  overrides: Partial<ServedMethod> = {},
) {
  return servedMethod(createMethodImplSpec(method, impl), overrides);
}

interface Run {
  readonly served: Promise<boolean>;
  readonly writer: RecordingWriter;
  readonly control: CallControl;
}

/** Starts serveCall for `method` with a REQUEST_HEADER of `header`, reading from `scripted`. */
function serve(
  method: ServedMethod,
  scripted: ScriptedReader,
  header: MessageInitShape<typeof RequestHeaderSchema> = {},
): Run {
  const writer = new RecordingWriter();
  const control = new CallControl();
  const served = serveCall({
    headerBody: toBinary(RequestHeaderSchema, create(RequestHeaderSchema, header)),
    reader: scripted.reader,
    writer: writer as unknown as FrameWriter,
    stream: STREAM,
    connection: CONNECTION,
    method,
    control,
  });
  return { served: within(served, "serveCall"), writer, control };
}

/** Resolves with the signal's reason once `context`'s signal aborts. */
function abortOf(context: HandlerContext): Promise<unknown> {
  return within(
    new Promise((resolve) => {
      context.signal.addEventListener("abort", () => resolve(context.signal.reason), {
        once: true,
      });
    }),
    "the handler's signal",
  );
}

describe("serveCall", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("answers a unary call with RESPONSE_HEADER, the message and an OK TRAILER, in one write", async () => {
    const seen: { text: string; peer: unknown; header: string | null }[] = [];
    const method = echoMethod(EchoService.method.unary, (req, context) => {
      seen.push({
        text: req.text,
        peer: getRemotePeer(context).peerId,
        header: context.requestHeader.get("x-user"),
      });
      return { text: `hello ${req.text}` };
    });
    const scripted = new ScriptedReader().push(request("ada"), END_OF_INPUT_ITEM, NEXT_HEADER);
    const { served, writer } = serve(method, scripted, {
      metadata: [{ key: "x-user", value: "ada" }],
    });
    assert.equal(await served, true, "the stream can carry another call");
    assert.deepEqual(seen, [{ text: "ada", peer: REMOTE_PEER, header: "ada" }]);
    assert.deepEqual(writer.writes, [
      {
        how: "writeNow",
        bytes: concatFrames([
          encodeFrame(FrameType.ResponseHeader),
          encodeFrame(
            FrameType.Message,
            toBinary(EchoResponseSchema, create(EchoResponseSchema, { text: "hello ada" })),
          ),
          encodeFrame(FrameType.Trailer),
        ]),
      },
    ]);
    assert.deepEqual(scripted.remaining, [NEXT_HEADER], "nothing past END_OF_INPUT was read");
  });

  it("waits for a request whose frames are not there yet", async () => {
    const method = echoMethod(EchoService.method.unary, async (req) => ({ text: req.text }));
    const scripted = new ScriptedReader();
    const { served, writer } = serve(method, scripted);
    await waitFor(() => scripted.waiting, "serveCall to wait for the request");
    scripted.push(request("late"));
    await waitFor(() => scripted.waiting, "serveCall to wait for END_OF_INPUT");
    assert.deepEqual(writer.writes, [], "no answer before END_OF_INPUT");
    scripted.push(END_OF_INPUT_ITEM);
    assert.equal(await served, true);
    assert.deepEqual(writer.types(), [H, M, T]);
    assert.equal(
      fromBinary(EchoResponseSchema, (writer.frames()[1] as { body: Uint8Array }).body).text,
      "late",
    );
  });

  it("sends a handler's ConnectError as the TRAILER's code, message, details and metadata, and no message", async () => {
    const method = echoMethod(EchoService.method.unary, (_req, context) => {
      context.responseTrailer.set("x-trailer", "set");
      throw new ConnectError("no such user", Code.NotFound, { "x-error": "meta" }, [
        { desc: EchoResponseSchema, value: { text: "detail" } },
      ]);
    });
    const { served, writer } = serve(
      method,
      new ScriptedReader().push(request("a"), END_OF_INPUT_ITEM),
    );
    assert.equal(await served, true);
    assert.deepEqual(writer.types(), [H, T]);
    const trailer = writer.trailer();
    assert.equal(trailer.code, Code.NotFound);
    assert.equal(trailer.message, "no such user");
    assert.deepEqual(
      trailer.details.map((detail) => [
        detail.type,
        fromBinary(EchoResponseSchema, detail.value).text,
      ]),
      [["p2prpc.test.v1.EchoResponse", "detail"]],
    );
    assert.deepEqual(
      trailer.metadata.map(({ key, value }) => [key, value]),
      [
        ["x-error", "meta"],
        ["x-trailer", "set"],
      ],
    );
  });

  it("sends any other failure as Internal without its text, and logs it", async () => {
    const failure = new Error("secret internals");
    const method = echoMethod(EchoService.method.unary, () => {
      throw failure;
    });
    const { served, writer } = serve(
      method,
      new ScriptedReader().push(request("a"), END_OF_INPUT_ITEM),
    );
    assert.equal(await served, true);
    const trailer = writer.trailer();
    assert.equal(trailer.code, Code.Internal);
    assert.equal(trailer.message, "internal error");
    assert.ok(
      method.lines.some((line) => line.includes(failure)),
      "the original error is logged",
    );
  });

  it("fails a request over the read limit with ResourceExhausted, without the handler, and keeps the stream", async () => {
    let ran = false;
    const method = echoMethod(EchoService.method.unary, () => {
      ran = true;
      return {};
    });
    const scripted = new ScriptedReader().push({ type: "oversize", payloadBytes: 4096 });
    const { served, writer } = serve(method, scripted);
    await waitFor(() => writer.writes.length > 0, "the answer");
    assert.equal(writer.trailer().code, Code.ResourceExhausted);
    scripted.push(END_OF_INPUT_ITEM, NEXT_HEADER);
    assert.equal(await served, true, "drained to END_OF_INPUT: reusable");
    assert.equal(ran, false);
    assert.deepEqual(scripted.remaining, [NEXT_HEADER]);
  });

  it("fails a request that does not decode with InvalidArgument, without the handler", async () => {
    let ran = false;
    const method = echoMethod(EchoService.method.unary, () => {
      ran = true;
      return {};
    });
    const broken = frameItem(FrameType.Message, new Uint8Array([0xff, 0xff]));
    const { served, writer } = serve(method, new ScriptedReader().push(broken, END_OF_INPUT_ITEM));
    assert.equal(await served, true);
    assert.equal(writer.trailer().code, Code.InvalidArgument);
    assert.equal(ran, false);
  });

  for (const [what, items] of [
    ["no request message", [END_OF_INPUT_ITEM]],
    ["two request messages", [request("a"), request("b"), END_OF_INPUT_ITEM]],
  ] as const) {
    it(`fails a unary call with ${what} with Unimplemented`, async () => {
      const method = echoMethod(EchoService.method.unary, () => ({}));
      const { served, writer } = serve(method, new ScriptedReader().push(...items));
      assert.equal(await served, true);
      assert.deepEqual(writer.types(), [H, T]);
      assert.equal(writer.trailer().code, Code.Unimplemented);
    });
  }

  it("takes a frame that has no place in a call's input as a protocol violation: nothing sent, not reusable", async () => {
    let ran = false;
    const method = echoMethod(EchoService.method.unary, () => {
      ran = true;
      return {};
    });
    const scripted = new ScriptedReader().push(request("a"), frameItem(FrameType.ResponseHeader));
    const { served, writer } = serve(method, scripted);
    assert.equal(await served, false);
    assert.deepEqual(writer.writes, []);
    assert.equal(ran, false);
  });

  it("aborts a client-streaming handler that meets a protocol violation, and sends nothing", async () => {
    let signal: AbortSignal | undefined;
    const method = echoMethod(EchoService.method.clientStream, async (requests, context) => {
      signal = context.signal;
      for await (const _ of requests) {
        // reads until the wrong frame
      }
      return {};
    });
    const scripted = new ScriptedReader().push(request("a"), frameItem(FrameType.Trailer));
    const { served, writer } = serve(method, scripted);
    assert.equal(await served, false);
    assert.deepEqual(writer.writes, []);
    assert.equal(signal?.aborted, true, "the handler's signal aborted");
  });

  it("hands a client-streaming handler every message, buffered or arriving, up to END_OF_INPUT", async () => {
    const method = echoMethod(EchoService.method.clientStream, async (requests) => {
      const texts: string[] = [];
      for await (const req of requests) {
        texts.push(req.text);
      }
      return { text: texts.join(",") };
    });
    const scripted = new ScriptedReader().push(request("a"));
    const { served, writer } = serve(method, scripted);
    await waitFor(() => scripted.waiting, "the handler to wait for more");
    scripted.push(request("b"), request("c"));
    await waitFor(() => scripted.waiting, "the handler to wait for END_OF_INPUT");
    assert.deepEqual(writer.writes, []);
    scripted.push(END_OF_INPUT_ITEM, NEXT_HEADER);
    assert.equal(await served, true);
    assert.deepEqual(writer.types(), [H, M, T]);
    const answer = fromBinary(
      EchoResponseSchema,
      (writer.frames()[1] as { body: Uint8Array }).body,
    );
    assert.equal(answer.text, "a,b,c");
    assert.deepEqual(scripted.remaining, [NEXT_HEADER]);
  });

  it("answers a handler that leaves input unread at once, then drains the input: reusable", async () => {
    const method = echoMethod(EchoService.method.clientStream, async () => ({ text: "early" }));
    const scripted = new ScriptedReader().push(request("a"));
    const { served, writer } = serve(method, scripted);
    await waitFor(() => writer.writes.length > 0, "the answer before END_OF_INPUT");
    assert.deepEqual(writer.types(), [H, M, T]);
    assert.equal(writer.trailer().code, 0, "OK");
    scripted.push(request("b"), { type: "oversize", payloadBytes: 1 << 20 }, END_OF_INPUT_ITEM);
    scripted.push(NEXT_HEADER);
    assert.equal(await served, true);
    assert.deepEqual(scripted.remaining, [NEXT_HEADER], "drained to END_OF_INPUT, not past it");
  });

  it("is not reusable when the client ends the stream without END_OF_INPUT after an early answer", async () => {
    const method = echoMethod(EchoService.method.clientStream, async () => ({ text: "early" }));
    const scripted = new ScriptedReader().push(request("a"));
    const { served, writer } = serve(method, scripted);
    await waitFor(() => writer.writes.length > 0, "the answer");
    scripted.end();
    assert.equal(await served, false);
  });

  it("streams a server-streaming handler's messages after the header, then the TRAILER", async () => {
    const method = echoMethod(EchoService.method.serverStream, async function* (req: EchoRequest) {
      for (let index = 0; index < req.repeat; index++) {
        yield { text: req.text, index };
      }
    });
    const scripted = new ScriptedReader().push(
      messageItem(EchoRequestSchema, { text: "s", repeat: 3 }),
      END_OF_INPUT_ITEM,
    );
    const { served, writer } = serve(method, scripted);
    assert.equal(await served, true);
    assert.deepEqual(writer.types(), [H, M, M, M, T]);
    assert.deepEqual(
      writer
        .frames()
        .filter((item) => item.type === M)
        .map((item) => fromBinary(EchoResponseSchema, (item as { body: Uint8Array }).body).index),
      [0, 1, 2],
    );
  });

  it("resolves false and sends nothing when the client goes mid-call; the handler's signal aborts", async () => {
    let reason: unknown;
    let started = false;
    const method = echoMethod(EchoService.method.unary, async (_req, context) => {
      started = true;
      reason = await abortOf(context);
      return {};
    });
    const { served, writer, control } = serve(
      method,
      new ScriptedReader().push(request("a"), END_OF_INPUT_ITEM),
    );
    await waitFor(() => started, "the handler to run");
    control.abortByClient(new ConnectError("stream reset by client", Code.Canceled));
    assert.equal(await served, false);
    assert.deepEqual(writer.writes, []);
    assert.ok(reason instanceof ConnectError && reason.code === Code.Canceled, String(reason));
  });

  it("ends the call at its deadline with DeadlineExceeded, which the handler's signal carries", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    let reason: unknown;
    let timeoutMs: number | undefined;
    const method = echoMethod(EchoService.method.unary, async (_req, context) => {
      timeoutMs = context.timeoutMs();
      reason = await abortOf(context);
      return {};
    });
    const { served, writer } = serve(
      method,
      new ScriptedReader().push(request("a"), END_OF_INPUT_ITEM),
      { timeoutMs: 1000 },
    );
    await vi.advanceTimersByTimeAsync(999);
    assert.deepEqual(writer.writes, []);
    await vi.advanceTimersByTimeAsync(1);
    assert.equal(await served, true);
    assert.equal(writer.trailer().code, Code.DeadlineExceeded);
    assert.equal(timeoutMs, 1000);
    assert.ok(
      reason instanceof ConnectError && reason.code === Code.DeadlineExceeded,
      String(reason),
    );
  });

  it("answers timeout_ms 0 with DeadlineExceeded without running the handler", async () => {
    let ran = false;
    const method = echoMethod(EchoService.method.unary, () => {
      ran = true;
      return {};
    });
    const { served, writer } = serve(
      method,
      new ScriptedReader().push(request("a"), END_OF_INPUT_ITEM),
      { timeoutMs: 0 },
    );
    assert.equal(await served, true);
    assert.equal(writer.trailer().code, Code.DeadlineExceeded);
    assert.equal(ran, false);
  });

  it("refuses a timeout above the server's maximum with InvalidArgument", async () => {
    const method = echoMethod(EchoService.method.unary, () => ({}), { maxTimeoutMs: 500 });
    const { served, writer } = serve(
      method,
      new ScriptedReader().push(request("a"), END_OF_INPUT_ITEM),
      { timeoutMs: 501 },
    );
    assert.equal(await served, true);
    assert.equal(writer.trailer().code, Code.InvalidArgument);
  });

  it("answers with the request gate's refusal before reading any request message", async () => {
    let ran = false;
    const method = echoMethod(
      EchoService.method.unary,
      () => {
        ran = true;
        return {};
      },
      {
        requestGate: () => {
          throw new ConnectError("not here", Code.FailedPrecondition);
        },
      },
    );
    const scripted = new ScriptedReader().push(request("a"));
    const { served, writer } = serve(method, scripted);
    await waitFor(() => writer.writes.length > 0, "the refusal");
    assert.equal(writer.trailer().code, Code.FailedPrecondition);
    scripted.push(END_OF_INPUT_ITEM);
    assert.equal(await served, true);
    assert.equal(ran, false);
  });
});
