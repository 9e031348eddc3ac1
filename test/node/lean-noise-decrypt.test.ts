import assert from "node:assert/strict";
import { Uint8ArrayList } from "uint8arraylist";
import { describe, it } from "vitest";
import { leanNoiseDecrypt } from "../../src/node/lean-noise-decrypt.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";
import { noisePair } from "../helpers/noise-pair.ts";
import { receiveBytes } from "../helpers/receive-bytes.ts";
import { encrypterThrough } from "../helpers/secure-through.ts";

type Chunk = Uint8Array | Uint8ArrayList;
type DecryptFn = (ciphertext: Chunk, dst?: Uint8Array) => Chunk;

const SIZES = [1, 500, 599, 600, 601, 1200, 64 * 1024, 65_519, 65_520, 200 * 1024];

describe("leanNoiseDecrypt", () => {
  it("replaces Noise's decrypt on a real Noise connection", async () => {
    const { receiver } = await noisePair((factory) => leanNoiseDecrypt(factory));
    const own = Object.getOwnPropertyDescriptor(receiver, "decrypt");
    assert.ok(own !== undefined && typeof own.value === "function", "decrypt was replaced");
  });

  for (const split of [false, true]) {
    it(`delivers every message intact, ${split ? "each arriving in many pieces" : "each in one piece"}`, async () => {
      const { sender, receiver } = await noisePair((factory) => leanNoiseDecrypt(factory));
      // Records what the cipher is given: in parts (a list) or whole, and whether with a destination.
      const handshake = (receiver as unknown as { handshake: { decrypt: DecryptFn } }).handshake;
      const decryptMessage = handshake.decrypt;
      const seen: string[] = [];
      handshake.decrypt = (ciphertext, dst) => {
        seen.push(`${ciphertext instanceof Uint8ArrayList ? "list" : "array"}${dst ? "+dst" : ""}`);
        return decryptMessage(ciphertext, dst);
      };
      for (const size of SIZES) {
        const data = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
        const arrived = receiveBytes(receiver, size);
        if (split) {
          // A message in parts reaches decrypt() as a list, the case changed here.
          sender.send(new Uint8ArrayList(data.subarray(0, size >> 1), data.subarray(size >> 1)));
        } else {
          sender.send(data);
        }
        assert.deepEqual(new Uint8Array((await arrived).subarray()), data, `${size} bytes`);
      }
      assert.ok(!seen.includes("list+dst"), "a message in parts is never copied for a destination");
      if (split) {
        assert.ok(seen.includes("list"), seen.join(" "));
      }
    });
  }

  it("leaves a connection that is not Noise's as it is, and logs that once", async () => {
    const log = captureWrapperLog();
    const secureOne = encrypterThrough(leanNoiseDecrypt, { logger: log.logger });
    const decrypt = (chunk: Chunk): Chunk => chunk;
    // No decrypt at all, and a decrypt without Noise's handshake beside it.
    for (const connection of [{}, { decrypt }] as { decrypt?: typeof decrypt }[]) {
      const original = connection.decrypt;
      assert.equal(await secureOne(connection), connection);
      assert.equal(connection.decrypt, original);
    }
    assert.equal(log.linesOf("leanNoiseDecrypt").length, 1);
  });

  it("canary: unpatched Noise copies a message that arrived in parts into a destination", async () => {
    // When this fails, upstream no longer makes that copy (or changed the
    // shape leanNoiseDecrypt relies on): revisit the wrapper.
    const { sender, receiver } = await noisePair((factory) => factory);
    const stream = receiver as unknown as { decrypt?: unknown; handshake: { decrypt: DecryptFn } };
    assert.equal(typeof stream.decrypt, "function");
    const decryptMessage = stream.handshake.decrypt;
    const seen: string[] = [];
    stream.handshake.decrypt = (ciphertext, dst) => {
      seen.push(`${ciphertext instanceof Uint8ArrayList ? "list" : "array"}${dst ? "+dst" : ""}`);
      return decryptMessage(ciphertext, dst);
    };
    const data = new Uint8Array(200 * 1024).fill(9);
    const arrived = receiveBytes(receiver, data.byteLength);
    sender.send(new Uint8ArrayList(data.subarray(0, 1000), data.subarray(1000)));
    assert.equal((await arrived).byteLength, data.byteLength);
    assert.ok(seen.includes("list+dst"), seen.join(" "));
  });
});
