import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { EchoRequestSchema, EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { methodProtocol } from "../../src/index.ts";
import { encodeFrame } from "../../src/wire/encode-frame.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { RawStream, requestHeaderFrame } from "../helpers/raw-call.ts";
import { type Pair, startPair, TEST_CALL_TIMEOUT_MS, TRANSPORTS } from "../helpers/start-pair.ts";
import { aborted, codeOf } from "../helpers/wait-for.ts";

for (const kind of TRANSPORTS) {
  describe(`deadlines over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind);
    });
    afterAll(async () => {
      await pair.stop();
    });

    it("timeoutMs travels to the server as ctx.timeoutMs()", async () => {
      const response = await pair.echo.unary({ text: "t" }, { timeoutMs: 30_000 });
      assert.ok(response.timeoutMs > 25_000, `server saw ${response.timeoutMs} ms`);
      assert.ok(response.timeoutMs <= 30_000, `server saw ${response.timeoutMs} ms`);
      // A call's own timeoutMs <= 0 means no deadline, also over the test client's default one.
      const none = await pair.echo.unary({ text: "no deadline" }, { timeoutMs: 0 });
      assert.equal(none.timeoutMs, 0);
      const byDefault = await pair.echo.unary({ text: "default deadline" });
      assert.ok(
        byDefault.timeoutMs > TEST_CALL_TIMEOUT_MS - 5000,
        `server saw ${byDefault.timeoutMs} ms`,
      );
      assert.ok(
        byDefault.timeoutMs <= TEST_CALL_TIMEOUT_MS,
        `server saw ${byDefault.timeoutMs} ms`,
      );
    });

    it("a server that never answers fails with DeadlineExceeded on time, and its signal aborts", async () => {
      const timeoutMs = 300;
      const started = Date.now();
      const code = await codeOf(
        pair.echo.unary({ text: `hang-${kind}`, hang: true }, { timeoutMs }),
      );
      const elapsed = Date.now() - started;
      assert.equal(code, Code.DeadlineExceeded);
      assert.ok(elapsed >= timeoutMs - 5, `failed after ${elapsed} ms, before the deadline`);
      assert.ok(elapsed < timeoutMs + 2000, `failed after ${elapsed} ms, long after the deadline`);
      const signal = pair.probe.signals.get(`hang-${kind}`);
      assert.ok(signal, "the handler ran");
      const reason = await aborted(signal);
      assert.ok(reason instanceof ConnectError);
      assert.ok(
        reason.code === Code.DeadlineExceeded || reason.code === Code.Canceled,
        `server signal aborted with ${reason.code}`,
      );
    });

    it("the server ends an overdue call itself when the handler ignores its signal", async () => {
      // A raw client that sends a 200 ms deadline but never enforces it: the server must.
      const raw = await RawStream.open(
        pair.client,
        pair.server.peerId,
        methodProtocol(EchoService.method.unary),
      );
      const message = toBinary(EchoRequestSchema, create(EchoRequestSchema, { hang: true }));
      raw.send(
        requestHeaderFrame(200),
        encodeFrame(FrameType.Message, message),
        encodeFrame(FrameType.EndOfInput),
      );
      const { trailer, frames } = await raw.readTrailer();
      assert.equal(trailer.code, Code.DeadlineExceeded);
      assert.deepEqual(frames, [FrameType.ResponseHeader, FrameType.Trailer]);
      await raw.stream.close();
    });

    it("a deadline ends a server stream mid-way", async () => {
      const received: number[] = [];
      const code = await codeOf(
        (async () => {
          for await (const response of pair.echo.serverStream(
            { text: `slow-${kind}`, repeat: 1000, delayMs: 20 },
            { timeoutMs: 250 },
          )) {
            received.push(response.index);
          }
        })(),
      );
      assert.equal(code, Code.DeadlineExceeded);
      assert.ok(received.length > 0 && received.length < 1000);
    });
  });
}
