import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { methodProtocol } from "../../src/index.ts";
import { encodeFrame } from "../../src/wire/encode-frame.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { RawStream, requestHeaderFrame } from "../helpers/raw-call.ts";
import {
  EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
  TrailerSchema,
} from "../helpers/schemas.ts";
import { type Pair, startPair, TRANSPORTS } from "../helpers/start-pair.ts";

const UNARY = methodProtocol(EchoService.method.unary);
const END_OF_INPUT = encodeFrame(FrameType.EndOfInput);
const message = (text: string): Uint8Array =>
  encodeFrame(FrameType.Message, toBinary(EchoRequestSchema, create(EchoRequestSchema, { text })));

/**
 * Holds the next call at the server's request gate, after its header was read
 * and before its message is: the test then knows what the server has seen.
 */
class Gate {
  #held: { entered: () => void; release: Promise<void> } | undefined;

  /** The next call stops at the gate; resolves once it is there, with the function that lets it on. */
  holdNext(): Promise<() => void> {
    return new Promise((resolveEntered) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      this.#held = { entered: () => resolveEntered(release), release: released };
    });
  }

  readonly pass = async (): Promise<void> => {
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) {
      held.entered();
      await held.release;
    }
  };
}

for (const kind of TRANSPORTS) {
  describe(`a unary request's frames, however they arrive, over ${kind}`, () => {
    const gate = new Gate();
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind, {
        server: {
          // A handler that answers without a promise.
          routes: (router) => router.service(EchoService, { unary: (req) => ({ text: req.text }) }),
          requestGate: gate.pass,
        },
      });
      await pair.client.dial(pair.server.getMultiaddrs());
    });
    afterAll(async () => {
      await pair.stop();
    });

    async function answerOf(raw: RawStream): Promise<{ code: number; text: string | undefined }> {
      let text: string | undefined;
      for (;;) {
        const item = await raw.read();
        if (item === undefined || item.type === "oversize") {
          throw new Error("no trailer");
        }
        if (item.type === FrameType.Message) {
          text = fromBinary(EchoResponseSchema, item.body).text;
        }
        if (item.type === FrameType.Trailer) {
          return { code: fromBinary(TrailerSchema, item.body).code, text };
        }
      }
    }

    /** The stream then carries another call: nothing of the last one was left behind. */
    async function servesNext(raw: RawStream): Promise<void> {
      raw.send(requestHeaderFrame(), message("next"), END_OF_INPUT);
      assert.deepEqual(await answerOf(raw), { code: 0, text: "next" });
      await raw.stream.close();
    }

    it("together in one chunk", async () => {
      const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
      raw.send(requestHeaderFrame(), message("together"), END_OF_INPUT);
      assert.deepEqual(await answerOf(raw), { code: 0, text: "together" });
      await servesNext(raw);
    });

    it("the message after the server began the call", async () => {
      const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
      const held = gate.holdNext();
      raw.send(requestHeaderFrame());
      (await held)();
      raw.send(message("late message"), END_OF_INPUT);
      assert.deepEqual(await answerOf(raw), { code: 0, text: "late message" });
      await servesNext(raw);
    });

    it("END_OF_INPUT after the message", async () => {
      const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
      const held = gate.holdNext();
      raw.send(requestHeaderFrame(), message("late end"));
      (await held)();
      raw.send(END_OF_INPUT);
      assert.deepEqual(await answerOf(raw), { code: 0, text: "late end" });
      await servesNext(raw);
    });

    it("a second message, in the same chunk or later, is Unimplemented", async () => {
      const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
      raw.send(requestHeaderFrame(), message("one"), message("two"), END_OF_INPUT);
      assert.deepEqual(await answerOf(raw), { code: Code.Unimplemented, text: undefined });
      const held = gate.holdNext();
      raw.send(requestHeaderFrame(), message("one"));
      (await held)();
      raw.send(message("two"), END_OF_INPUT);
      assert.deepEqual(await answerOf(raw), { code: Code.Unimplemented, text: undefined });
      await servesNext(raw);
    });

    it("no message at all is Unimplemented", async () => {
      const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
      raw.send(requestHeaderFrame(), END_OF_INPUT);
      assert.deepEqual(await answerOf(raw), { code: Code.Unimplemented, text: undefined });
      await servesNext(raw);
    });
  });
}
