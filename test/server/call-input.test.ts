// CallInput on its own, over a scripted reader: what a handler reads of a
// call's input, and where the input stops (PROTOCOL.md 5.1, 5.3, 6 and 9).
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, it } from "vitest";
import { EchoRequestSchema } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { CallInput, ProtocolViolation } from "../../src/server/call-input.ts";
import { NOT_BUFFERED } from "../../src/wire/frame-reader.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import {
  END_OF_INPUT_ITEM,
  frameItem,
  messageItem,
  ScriptedReader,
} from "../helpers/scripted-reader.ts";
import { within } from "../helpers/within.ts";

function inputOn(
  scripted: ScriptedReader,
  readMaxBytes = 1024,
): CallInput<typeof EchoRequestSchema> {
  return new CallInput(scripted.reader, EchoRequestSchema, readMaxBytes);
}

const request = (text: string) => messageItem(EchoRequestSchema, { text });
/** The next call's REQUEST_HEADER, on a reused stream: never part of this call's input. */
const NEXT_HEADER = frameItem(FrameType.RequestHeader);

/** The ConnectError code `run` throws or rejects with. */
async function codeOf(run: () => unknown): Promise<Code> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof ConnectError, String(error));
    return error.code;
  }
  assert.fail("expected a ConnectError");
}

describe("CallInput", () => {
  it("reads the messages in order, then undefined at END_OF_INPUT, and nothing past it", async () => {
    const scripted = new ScriptedReader().push(request("a"), request("b"), END_OF_INPUT_ITEM);
    scripted.push(NEXT_HEADER);
    const input = inputOn(scripted);
    assert.equal((await within(input.next(), "a"))?.text, "a");
    assert.equal(input.ended, false);
    assert.equal((await within(input.next(), "b"))?.text, "b");
    assert.equal(await within(input.next(), "the end"), undefined);
    assert.equal(input.ended, true);
    assert.equal(await within(input.next(), "after the end"), undefined);
    assert.equal(input.nextBuffered(), undefined);
    assert.deepEqual(scripted.remaining, [NEXT_HEADER], "the next call's frames stay unread");
  });

  it("answers nextBuffered without a promise, and NOT_BUFFERED while the frame is not here", async () => {
    const scripted = new ScriptedReader().push(request("here"));
    const input = inputOn(scripted);
    assert.equal((input.nextBuffered() as { text: string }).text, "here");
    assert.equal(input.nextBuffered(), NOT_BUFFERED);
    const later = input.next();
    assert.ok(scripted.waiting, "next() waits for the frame");
    scripted.push(request("later"));
    assert.equal((await within(later, "the later message"))?.text, "later");
  });

  it("fails an oversized message with ResourceExhausted, naming its size and the limit", async () => {
    const input = inputOn(
      new ScriptedReader().push({ type: "oversize", payloadBytes: 2001 }),
      1000,
    );
    try {
      input.nextBuffered();
      assert.fail("expected ResourceExhausted");
    } catch (error) {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.ResourceExhausted);
      assert.match(error.rawMessage, /2000 bytes exceeds the limit of 1000/);
    }
  });

  it("fails a message that does not decode as the input type with InvalidArgument", async () => {
    // 0xff: a field tag with wire type 7, which no protobuf message has.
    const broken = frameItem(FrameType.Message, new Uint8Array([0xff, 0xff]));
    const input = inputOn(new ScriptedReader().push(broken));
    assert.equal(
      await codeOf(() => within(input.next(), "the broken message")),
      Code.InvalidArgument,
    );
  });

  for (const type of [
    FrameType.RequestHeader,
    FrameType.ResponseHeader,
    FrameType.Trailer,
    0x09 as FrameType,
  ]) {
    it(`takes a frame of type ${type} in a call's input as a protocol violation`, async () => {
      const input = inputOn(new ScriptedReader().push(request("a"), frameItem(type)));
      assert.equal((await within(input.next(), "a"))?.text, "a");
      await assert.rejects(within(input.next(), "the wrong frame"), ProtocolViolation);
    });
  }

  it("takes the end of the stream before END_OF_INPUT as the client cancelling", async () => {
    const scripted = new ScriptedReader().push(request("a"));
    const input = inputOn(scripted);
    assert.equal((await within(input.next(), "a"))?.text, "a");
    const read = input.next();
    scripted.end();
    assert.equal(await codeOf(() => within(read, "the end")), Code.Canceled);
  });

  it("iterates every message up to END_OF_INPUT, whether buffered or still arriving", async () => {
    const scripted = new ScriptedReader().push(request("a"), request("b"));
    const input = inputOn(scripted);
    const texts: string[] = [];
    const read = (async () => {
      for await (const message of input) {
        texts.push(message.text);
        if (message.text === "b") {
          // The rest arrives while the handler iterates.
          queueMicrotask(() => scripted.push(request("c"), END_OF_INPUT_ITEM, NEXT_HEADER));
        }
      }
    })();
    await within(read, "the iteration");
    assert.deepEqual(texts, ["a", "b", "c"]);
    assert.equal(input.ended, true);
    assert.deepEqual(scripted.remaining, [NEXT_HEADER]);
  });

  it("answers overlapping next() calls of its iterator in order, never reading past END_OF_INPUT", async () => {
    const scripted = new ScriptedReader();
    const iterator = inputOn(scripted)[Symbol.asyncIterator]();
    const first = iterator.next();
    const second = iterator.next();
    const third = iterator.next();
    scripted.push(request("a"));
    scripted.push(END_OF_INPUT_ITEM, NEXT_HEADER);
    const results = await within(Promise.all([first, second, third]), "the three reads");
    assert.deepEqual(
      results.map((result) => (result.done ? "done" : result.value.text)),
      ["a", "done", "done"],
    );
    assert.deepEqual(scripted.remaining, [NEXT_HEADER]);
  });

  it("stops its iterator on return(): later next() calls read nothing", async () => {
    const scripted = new ScriptedReader().push(request("a"), request("b"));
    const iterator = inputOn(scripted)[Symbol.asyncIterator]();
    assert.deepEqual(await within(iterator.return?.() ?? Promise.reject(), "return"), {
      done: true,
      value: undefined,
    });
    assert.equal((await within(iterator.next(), "after return")).done, true);
    assert.equal(scripted.remaining.length, 2);
  });

  describe("discardRest", () => {
    it("drops the messages (oversized ones too) up to END_OF_INPUT: the stream can carry another call", async () => {
      const scripted = new ScriptedReader().push(
        request("a"),
        { type: "oversize", payloadBytes: 1 << 20 },
        request("b"),
      );
      const input = inputOn(scripted);
      const discarded = input.discardRest();
      scripted.push(END_OF_INPUT_ITEM, NEXT_HEADER);
      assert.equal(await within(discarded, "discardRest"), true);
      assert.equal(input.ended, true);
      assert.deepEqual(scripted.remaining, [NEXT_HEADER]);
    });

    it("is false when the stream ends before END_OF_INPUT", async () => {
      const input = inputOn(new ScriptedReader().push(request("a")).end());
      assert.equal(await within(input.discardRest(), "discardRest"), false);
    });

    it("is false on a frame that has no place in a call's input", async () => {
      const input = inputOn(
        new ScriptedReader().push(request("a"), NEXT_HEADER, END_OF_INPUT_ITEM),
      );
      assert.equal(await within(input.discardRest(), "discardRest"), false);
    });

    it("is false when the stream breaks", async () => {
      const input = inputOn(new ScriptedReader().fail(new Error("reset")));
      assert.equal(await within(input.discardRest(), "discardRest"), false);
    });
  });
});
