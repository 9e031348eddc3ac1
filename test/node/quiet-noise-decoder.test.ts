import assert from "node:assert/strict";
import { LengthPrefixedDecoder } from "@libp2p/utils";
import { Uint8ArrayList } from "uint8arraylist";
import { describe, it } from "vitest";
import { quietNoiseDecoder } from "../../src/node/quiet-noise-decoder.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";
import { noisePair } from "../helpers/noise-pair.ts";
import { receiveBytes } from "../helpers/receive-bytes.ts";
import { encrypterThrough, secureThrough } from "../helpers/secure-through.ts";

type LengthDecoder = (data: Uint8ArrayList) => number;

/** Like @libp2p/noise's uint16BEDecode: throws a RangeError below 2 bytes. */
const uint16BEDecode = Object.assign(
  (data: Uint8Array | Uint8ArrayList): number => {
    if (data.length < 2) {
      throw new RangeError("Could not decode int16BE");
    }
    return data instanceof Uint8Array ? (data[0] ?? 0) * 256 + (data[1] ?? 0) : data.getUint16(0);
  },
  { bytes: 2 },
);

/** Noise's encrypted stream as far as this module sees it. */
function noiseLikeStream(): { decoder: LengthPrefixedDecoder } {
  return {
    decoder: new LengthPrefixedDecoder({ lengthDecoder: uint16BEDecode, encodingLength: () => 2 }),
  };
}

async function secure(connection: object): Promise<void> {
  await secureThrough(quietNoiseDecoder, connection);
}

/** Noise-framed messages: 2-byte big-endian length, then the bytes. */
function framed(messages: Uint8Array[]): Uint8Array {
  const out = new Uint8ArrayList();
  for (const message of messages) {
    out.append(Uint8Array.of(message.byteLength >> 8, message.byteLength & 0xff), message);
  }
  return out.subarray();
}

describe("quietNoiseDecoder", () => {
  it("no longer throws for a short buffer, and decodes the same messages at every split", async () => {
    const stream = noiseLikeStream();
    await secure(stream);
    // The field is private in the type declarations; the wrapper replaces it at run time.
    const { lengthDecoder } = stream.decoder as unknown as {
      lengthDecoder: (data: Uint8ArrayList) => number;
    };
    assert.notEqual(lengthDecoder, uint16BEDecode, "the length decoder was replaced");
    assert.doesNotThrow(() => lengthDecoder(new Uint8ArrayList()));
    assert.doesNotThrow(() => lengthDecoder(new Uint8ArrayList(Uint8Array.of(1))));

    const messages = [300, 1, 17, 0x1234].map((size, i) => new Uint8Array(size).fill(i + 1));
    const bytes = framed(messages);
    for (let split = 0; split <= bytes.byteLength; split++) {
      const decoded: Uint8Array[] = [];
      for (const chunk of [bytes.subarray(0, split), bytes.subarray(split)]) {
        for (const message of stream.decoder.decode(chunk)) {
          decoded.push(message.subarray());
        }
      }
      assert.deepEqual(decoded, messages, `split at ${split}`);
    }
  });

  it("leaves streams of another shape alone, and logs that once", async () => {
    const log = captureWrapperLog();
    const secureOne = encrypterThrough(quietNoiseDecoder, { logger: log.logger });
    const other = { decoder: { lengthDecoder: (data: Uint8Array) => data.byteLength } };
    const original = other.decoder.lengthDecoder;
    await secureOne(other);
    assert.equal(other.decoder.lengthDecoder, original);
    const none = {};
    await secureOne(none);
    assert.deepEqual(none, {});
    assert.equal(log.linesOf("quietNoiseDecoder").length, 1);
  });

  it("canary: unpatched Noise's length decoder throws a RangeError below 2 bytes", async () => {
    // When this fails, upstream no longer throws per chunk (or changed the
    // shape quietNoiseDecoder relies on): revisit the wrapper.
    const { receiver } = await noisePair((factory) => factory);
    const { lengthDecoder } = (
      receiver as unknown as { decoder: { lengthDecoder: LengthDecoder & { bytes?: number } } }
    ).decoder;
    assert.equal(lengthDecoder.bytes, 2);
    assert.throws(() => lengthDecoder(new Uint8ArrayList(Uint8Array.of(1))), RangeError);
    assert.equal(lengthDecoder(new Uint8ArrayList(Uint8Array.of(1, 2))), 0x0102);
  });

  it("applies to a real Noise connection, which still carries every message", async () => {
    const { sender, receiver } = await noisePair((factory) => quietNoiseDecoder(factory));
    // If @libp2p/noise changed shape, the wrapper would switch itself off: this fails then.
    const { lengthDecoder } = (receiver as unknown as { decoder: { lengthDecoder: LengthDecoder } })
      .decoder;
    assert.doesNotThrow(() => lengthDecoder(new Uint8ArrayList(Uint8Array.of(1))));
    assert.equal(lengthDecoder(new Uint8ArrayList(Uint8Array.of(1))), 0);
    for (const size of [1, 100, 70_000]) {
      const data = new Uint8Array(size).fill(size & 0xff);
      const arrived = receiveBytes(receiver, size);
      sender.send(data);
      assert.equal((await arrived).byteLength, size);
    }
  });
});
