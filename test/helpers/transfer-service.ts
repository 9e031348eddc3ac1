import { createHash } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, createClient, type ServiceImpl } from "@connectrpc/connect";
import {
  type TransferRequest,
  type TransferResponseSchema,
  TransferService,
} from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { createLibp2pTransport } from "../../src/index.ts";
import type { ClientOptions, Pair } from "./start-pair.ts";

const generatedCache = new Map<string, Uint8Array>();

/**
 * `bytes` pseudo-random bytes from `seed` (xorshift32), the same on every side
 * of a call, so a receiver can check what a sender generated. Cached: the
 * tests send the same sizes many times.
 */
export function generatedBytes(bytes: number, seed: number): Uint8Array {
  const key = `${bytes}:${seed}`;
  let out = generatedCache.get(key);
  if (out === undefined) {
    out = new Uint8Array(bytes);
    const words = new Uint32Array(out.buffer, 0, bytes >>> 2);
    let state = (seed * 2654435761 + 1) >>> 0 || 1;
    for (let index = 0; index < words.length; index++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      words[index] = state;
    }
    for (let index = words.length * 4; index < bytes; index++) {
      out[index] = (seed + index) & 0xff;
    }
    generatedCache.set(key, out);
  }
  return out;
}

/** SHA-256 of `parts`, in order. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const part of parts) {
    hash.update(part);
  }
  return new Uint8Array(hash.digest());
}

/** Length of a varint encoding `value`. */
function varintBytes(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) {
    bytes++;
  }
  return bytes;
}

/**
 * The length of a `data` field (field 1, bytes) that makes a message holding
 * only it encode to exactly `messageBytes`: tag, length prefix, bytes.
 */
export function dataBytesForMessage(messageBytes: number): number {
  if (messageBytes < 2) {
    throw new RangeError(`no message holding only data encodes to ${messageBytes} bytes`);
  }
  for (let data = messageBytes - 2; data >= 0; data--) {
    if (1 + varintBytes(data) + data === messageBytes) {
      return data;
    }
  }
  throw new RangeError(`no data length encodes to ${messageBytes} bytes`);
}

/** Exchange and IdempotentExchange. */
function exchange(req: TransferRequest): MessageInitShape<typeof TransferResponseSchema> {
  if (req.respondBytes !== undefined) {
    return { data: generatedBytes(req.respondBytes, req.seed) };
  }
  return { receivedSha256: sha256(req.data), receivedMessages: 1 };
}

/** TransferService as the proto describes it. */
export const transferImpl: ServiceImpl<typeof TransferService> = {
  exchange,
  async *download(req) {
    for (let index = 0; index < req.respondCount; index++) {
      yield { data: generatedBytes(req.respondBytes ?? 0, req.seed + index) };
    }
  },
  idempotentExchange: exchange,
  async upload(requests) {
    const hash = createHash("sha256");
    let receivedMessages = 0;
    for await (const req of requests) {
      hash.update(req.data);
      receivedMessages++;
    }
    return { receivedSha256: new Uint8Array(hash.digest()), receivedMessages };
  },
  async *echo(requests) {
    for await (const req of requests) {
      yield { data: req.data };
    }
  },
};

/** Routes serving {@link transferImpl}, for `startPair`'s server. */
export function transferRoutes(router: {
  service: (service: typeof TransferService, impl: ServiceImpl<typeof TransferService>) => unknown;
}): void {
  router.service(TransferService, transferImpl);
}

/** A TransferService client from the pair's client node to its server. */
export function transferClient(
  pair: Pair,
  options: ClientOptions = {},
): Client<typeof TransferService> {
  return createClient(
    TransferService,
    createLibp2pTransport({
      libp2p: pair.client,
      ...options,
      peer: options.peer ?? pair.server.getMultiaddrs(),
    }),
  );
}
