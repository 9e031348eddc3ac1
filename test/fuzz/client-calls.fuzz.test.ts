import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { ClientContext } from "../../conformance/client-cases.ts";
import { type ClientHarness, startClientHarness } from "../../conformance/client-harness.ts";
import { rawFrame, responseHeader, responseMessage, trailer } from "../../conformance/frames.ts";
import type { RawStream } from "../../conformance/raw-stream.ts";
import {
  ConformanceRequestSchema,
  ConformanceService,
} from "../../gen/p2prpc/conformance/v1/conformance_pb.ts";
import { RequestHeaderSchema, TrailerSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { memoryListen } from "../helpers/start-pair.ts";

/** The client's read limit: small, so oversized frames are cheap. */
const READ_MAX_BYTES = 64;
const CALL_TIMEOUT_MS = 5000;
const { unary } = ConformanceService.method;

/** One frame a hostile server answers with. */
type Answer =
  | { readonly kind: "header"; readonly validMetadata: boolean }
  | { readonly kind: "message"; readonly valid: boolean }
  | {
      readonly kind: "trailer";
      readonly code: number;
      readonly body: "valid" | "bad-metadata" | "undecodable";
    }
  | { readonly kind: "frame"; readonly type: number }
  | { readonly kind: "oversize" };

const answer: fc.Arbitrary<Answer> = fc.oneof(
  fc.boolean().map((validMetadata) => ({ kind: "header", validMetadata }) as const),
  fc.boolean().map((valid) => ({ kind: "message", valid }) as const),
  fc
    .record({
      code: fc.oneof(fc.constantFrom(0, 0, 1, 5, 14, 16), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
      body: fc.constantFrom("valid", "valid", "bad-metadata", "undecodable"),
    })
    .map(({ code, body }) => ({ kind: "trailer", code, body }) as const),
  // REQUEST_HEADER and END_OF_INPUT (wrong direction), unknown kinds.
  fc
    .oneof(fc.constantFrom(0x01, 0x04, 0x00, 0x06), fc.integer({ min: 6, max: 255 }))
    .map((type) => ({ kind: "frame", type }) as const),
  fc.constant({ kind: "oversize" } as const),
);

function encode(a: Answer): Uint8Array {
  switch (a.kind) {
    case "header":
      return responseHeader(
        a.validMetadata ? { metadata: [["x-ok", "v"]] } : { metadata: [["X-Bad", "v"]] },
      );
    case "message":
      return a.valid ? responseMessage({ text: "hi" }) : rawFrame(0x03, Uint8Array.of(0x0a, 0x7f));
    case "trailer":
      if (a.body === "undecodable") {
        return rawFrame(0x05, Uint8Array.of(0x08)); // a varint field cut short
      }
      return a.body === "bad-metadata"
        ? rawFrame(
            0x05,
            toBinary(
              TrailerSchema,
              create(TrailerSchema, { code: a.code, metadata: [{ key: "Upper", value: "v" }] }),
            ),
          )
        : trailer({ code: a.code, message: "scripted" });
    case "frame":
      return rawFrame(a.type, Uint8Array.of(1, 2, 3));
    case "oversize":
      return rawFrame(0x03, new Uint8Array(READ_MAX_BYTES + 10));
  }
}

/** What PROTOCOL.md 5.3 (client table), 8 and 10 say a unary call ends with. */
function model(answers: readonly Answer[]): Code | 0 {
  let headerRead = false;
  let messages = 0;
  for (const a of answers) {
    if (a.kind === "oversize") {
      return Code.ResourceExhausted;
    }
    if (a.kind === "trailer") {
      if (a.body !== "valid") {
        return Code.Internal; // undecodable trailer, or metadata the client cannot accept
      }
      if (a.code === 0) {
        return messages === 1 ? 0 : Code.Unimplemented; // missing output message
      }
      return a.code > 16 ? Code.Unknown : (a.code as Code);
    }
    if (a.kind === "header" && !headerRead) {
      if (!a.validMetadata) {
        return Code.Internal;
      }
      headerRead = true;
      continue;
    }
    if (a.kind === "message" && headerRead) {
      if (!a.valid) {
        return Code.Internal;
      }
      messages++;
      if (messages === 2) {
        return Code.Unimplemented; // extra output message
      }
      continue;
    }
    return Code.Internal; // a second header, a message before the header, any other frame
  }
  return Code.Unavailable; // the stream ended (clean or reset) before the trailer
}

/** One call as the scripted server read it: its text and the deadline its header carried. */
interface Request {
  readonly text: string;
  readonly timeoutMs: number | undefined;
}

/** Reads one call up to END_OF_INPUT; undefined when the client closed or reset the stream. */
async function readRequest(raw: RawStream): Promise<Request | undefined> {
  const first = await raw.read().catch(() => undefined);
  if (first === undefined) {
    return undefined;
  }
  assert.ok(first.type === 0x01, "a REQUEST_HEADER first");
  const header = fromBinary(RequestHeaderSchema, (first as { body: Uint8Array }).body);
  let text = "";
  for (;;) {
    const item = await raw.read();
    assert.ok(item !== undefined && item.type !== "oversize");
    if (item.type === 0x03) {
      text = fromBinary(ConformanceRequestSchema, item.body).text;
    } else if (item.type === 0x04) {
      return { text, timeoutMs: header.timeoutMs };
    }
  }
}

/**
 * A script for every stream: each call's text names what to answer. A
 * scripted answer ends the stream (cleanly or by a reset); any other call is
 * answered OK and the stream serves the next.
 */
function dispatch(
  scripted: Map<string, { answers: Answer[]; end: "close" | "reset" }>,
  seen: Request[],
) {
  return async (raw: RawStream): Promise<void> => {
    for (;;) {
      const request = await readRequest(raw);
      if (request === undefined) {
        return;
      }
      seen.push(request);
      const script = scripted.get(request.text);
      if (script === undefined) {
        raw.send(responseHeader(), responseMessage({ text: request.text }), trailer());
        continue;
      }
      if (script.answers.length > 0) {
        raw.send(...script.answers.map(encode));
      }
      if (script.end === "close") {
        await raw.closeWrite();
        await raw.outcome();
      } else {
        raw.stream.abort(new Error("scripted reset"));
      }
      return;
    }
  };
}

describe("the client's call state machine against a hostile server (fast-check, real nodes)", () => {
  let harness: ClientHarness;
  let context: ClientContext;
  beforeAll(async () => {
    harness = await startClientHarness(memoryListen(), memoryListen());
    context = harness.context(AbortSignal.timeout(600_000));
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it("answers in any order and encoding, then a clean end or a reset: each call ends with its defined code", {
    timeout: 120_000,
  }, async () => {
    const scripted = new Map<string, { answers: Answer[]; end: "close" | "reset" }>();
    context.server.reset();
    await context.server.script(unary, dispatch(scripted, []));
    const client = context.client({ readMaxBytes: READ_MAX_BYTES, retry: false });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(answer, { maxLength: 5 }),
        fc.constantFrom("close", "reset"),
        async (answers, end) => {
          const text = `run ${run++}`;
          scripted.set(text, { answers, end });
          let code: Code | 0 = 0;
          try {
            const response = await client.unary({ text }, { timeoutMs: CALL_TIMEOUT_MS });
            assert.equal(response.text, "hi");
          } catch (error) {
            code = ConnectError.from(error).code;
          }
          // A reset may overtake the frames written just before it (libp2p drops a
          // stream's unsent bytes when it is aborted): then the client sees only
          // the reset, Unavailable. A clean end always comes after the frames.
          const expected = model(answers);
          assert.ok(
            code === expected || (end === "reset" && code === Code.Unavailable),
            `answers ${JSON.stringify(answers)}, then ${end}: ${code}, expected ${expected}`,
          );
          // The client still calls on the same connection; nothing of the call is left over.
          const next = await client.unary(
            { text: `after ${text}` },
            { timeoutMs: CALL_TIMEOUT_MS },
          );
          assert.equal(next.text, `after ${text}`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("deadlines of 0, negative, fractional or absurd size: the call ends and the header carries 0 … 2^31−1 or nothing", {
    timeout: 60_000,
  }, async () => {
    const seen: Request[] = [];
    context.server.reset();
    await context.server.script(unary, dispatch(new Map(), seen));
    const client = context.client({ retry: false });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(
            0,
            -1,
            -(2 ** 40),
            0.5,
            2 ** 31,
            2 ** 53,
            Number.MAX_VALUE,
            Infinity,
            NaN,
          ),
          fc.double({ min: -1e12, max: 1e15, noNaN: true }),
        ),
        async (timeoutMs) => {
          const text = `deadline ${run++}`;
          let code: Code | 0 = 0;
          try {
            await client.unary({ text }, { timeoutMs });
          } catch (error) {
            code = ConnectError.from(error).code;
          }
          // A deadline already passed fails without a call; any other succeeds.
          assert.ok(code === 0 || code === Code.DeadlineExceeded, `code ${code} for ${timeoutMs}`);
          for (const request of seen.filter((request) => request.text === text)) {
            const sent = request.timeoutMs;
            assert.ok(
              sent === undefined || (Number.isInteger(sent) && sent >= 0 && sent <= 0x7fff_ffff),
              `sent timeout_ms ${sent} for ${timeoutMs}`,
            );
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
