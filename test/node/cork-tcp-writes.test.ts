import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server, Socket } from "node:net";
import type { ConnectionEncrypter, Libp2p, MessageStream, Stream } from "@libp2p/interface";
import { noise } from "@libp2p/noise";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { createLibp2p, type Libp2pOptions } from "libp2p";
import { Uint8ArrayList } from "uint8arraylist";
import { afterAll, beforeAll, describe, it } from "vitest";
import { corkTcpWrites } from "../../src/libp2p.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";
import { receiveBytes } from "../helpers/receive-bytes.ts";
import { waitFor } from "../helpers/wait-for.ts";

interface SendResult {
  sentBytes: number;
  canSendMore: boolean;
}

/** Stands in for @libp2p/tcp's connection: `socket`, a `sendData` that writes each chunk until the socket is full, and a `sendClose` that ends the socket. */
class FakeTcpConnection {
  readonly socket: Socket;
  constructor(socket: Socket) {
    this.socket = socket;
  }
  sendData(data: Iterable<Uint8Array>): SendResult {
    let sentBytes = 0;
    let canSendMore = true;
    for (const chunk of data) {
      sentBytes += chunk.byteLength;
      canSendMore = this.socket.write(chunk);
      if (!canSendMore) {
        break; // libp2p keeps the rest of the list in its queue
      }
    }
    return { sentBytes, canSendMore };
  }
  async sendClose(): Promise<void> {
    this.socket.end();
    await once(this.socket, "finish");
  }
}

/**
 * What libp2p's message stream does around `sendData`: it keeps what the
 * socket did not take, stops sending once told the socket is full, and
 * sends the rest on `drain`.
 */
class Libp2pSendQueue {
  readonly #connection: FakeTcpConnection;
  readonly #waiting = new Uint8ArrayList();
  #paused = false;
  /** Bytes `sendData` reported as taken. */
  accepted = 0;
  constructor(connection: FakeTcpConnection) {
    this.#connection = connection;
    connection.socket.on("drain", () => {
      this.#paused = false;
      this.#flush();
    });
  }
  send(list: Uint8ArrayList): void {
    this.#waiting.append(list);
    if (!this.#paused) {
      this.#flush();
    }
  }
  #flush(): void {
    if (this.#waiting.byteLength === 0) {
      return;
    }
    const { sentBytes, canSendMore } = this.#connection.sendData(this.#waiting);
    this.#waiting.consume(sentBytes);
    this.accepted += sentBytes;
    this.#paused = !canSendMore;
  }
}

/** An encrypter that only records what it was given. */
function recordingEncrypter(seen: MessageStream[]): () => ConnectionEncrypter {
  return () => ({
    protocol: "/test",
    secureInbound: async (connection) => {
      seen.push(connection);
      return { connection } as never;
    },
    secureOutbound: async (connection) => {
      seen.push(connection);
      return { connection } as never;
    },
  });
}

/** A Noise-sized message as libp2p hands it over: 2-byte prefix + ciphertext, filled with `fill`. */
function message(bytes: number, fill: number): Uint8ArrayList {
  return new Uint8ArrayList(new Uint8Array(2).fill(fill), new Uint8Array(bytes - 2).fill(fill));
}

/** Collects what the server side of a socket receives. */
class Collector {
  #chunks: Buffer[] = [];
  #bytes = 0;
  #waiter: { bytes: number; resolve: () => void } | undefined;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    if (this.#waiter !== undefined && this.#bytes >= this.#waiter.bytes) {
      this.#waiter.resolve();
      this.#waiter = undefined;
    }
  }

  /** Resolves with exactly the next `bytes` bytes once they arrived. */
  async take(bytes: number): Promise<Buffer> {
    if (this.#bytes < bytes) {
      await new Promise<void>((resolve) => {
        this.#waiter = { bytes, resolve };
      });
    }
    const all = Buffer.concat(this.#chunks);
    this.#chunks = [all.subarray(bytes)];
    this.#bytes -= bytes;
    return all.subarray(0, bytes);
  }
}

describe("corkTcpWrites", () => {
  let server: Server;
  let client: Socket;
  const received = new Collector();
  let writevCalls = 0;
  /** Bytes the wrapper handed to the socket (`socket.write`), held ones not yet. */
  let handed = 0;

  beforeAll(async () => {
    server = createServer((socket) => socket.on("data", (chunk: Buffer) => received.push(chunk)));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    client = new Socket();
    client.connect(port, "127.0.0.1");
    await once(client, "connect");
    const writev = client._writev?.bind(client);
    assert.ok(writev !== undefined);
    client._writev = (chunks, callback) => {
      writevCalls++;
      writev(chunks, callback);
    };
    const write = client.write.bind(client) as (chunk: Uint8Array) => boolean;
    client.write = ((chunk: Uint8Array) => {
      handed += chunk.byteLength;
      return write(chunk);
    }) as typeof client.write;
  });

  afterAll(() => {
    client.destroy();
    server.close();
  });

  async function secured(connection: object, components: object = {}): Promise<void> {
    const seen: MessageStream[] = [];
    const encrypter = corkTcpWrites(recordingEncrypter(seen))(components);
    await encrypter.secureOutbound(connection as MessageStream);
    assert.equal(seen[0], connection, "the same connection is passed on");
  }

  it("holds a bare muxer header until the next data and sends both in one writev", async () => {
    const connection = new FakeTcpConnection(client);
    await secured(connection);
    writevCalls = 0;
    handed = 0;
    connection.sendData(message(30, 1)); // a window update, say
    assert.equal(handed, 0, "the control message waits");
    connection.sendData(message(100, 2)); // then a response: it leaves at once
    assert.equal(handed, 130, "data takes what waited along");
    assert.equal(client.writableCorked, 0);
    assert.equal(writevCalls, 1);
    const bytes = await received.take(130);
    assert.ok(bytes.subarray(0, 30).every((byte) => byte === 1));
    assert.ok(bytes.subarray(30).every((byte) => byte === 2));
  });

  it("sends the first data of a turn at once and the rest together at the end of the turn", async () => {
    const connection = new FakeTcpConnection(client);
    await secured(connection);
    await new Promise((resolve) => setImmediate(resolve));
    writevCalls = 0;
    handed = 0;
    connection.sendData(message(50, 3));
    assert.equal(handed, 50, "a lone message is not delayed");
    for (let i = 0; i < 20; i++) {
      connection.sendData(message(50, 4 + i));
    }
    assert.equal(handed, 50, "later messages of the turn wait");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(handed, 21 * 50);
    assert.equal(client.writableCorked, 0);
    assert.equal(writevCalls, 2, "two writes for 21 messages");
    const bytes = await received.take(21 * 50);
    for (let i = 0; i < 21; i++) {
      const expected = i === 0 ? 3 : 3 + i;
      assert.ok(bytes.subarray(i * 50, (i + 1) * 50).every((byte) => byte === expected));
    }
  });

  it("never holds a high-water mark's worth of messages", async () => {
    const connection = new FakeTcpConnection(client);
    await secured(connection);
    const queue = new Libp2pSendQueue(connection);
    const count = Math.ceil((2 * client.writableHighWaterMark) / 64);
    let heldAtMost = 0;
    handed = 0;
    for (let i = 0; i < count; i++) {
      queue.send(message(64, i % 251));
      heldAtMost = Math.max(heldAtMost, queue.accepted - handed);
    }
    // A corked socket past its high-water mark would make libp2p queue every
    // later message in one huge list (the RangeError trap in the notes).
    assert.ok(heldAtMost > 0, "messages were held");
    assert.ok(heldAtMost < client.writableHighWaterMark, `held ${heldAtMost} bytes`);
    const bytes = await received.take(count * 64);
    for (let i = 0; i < count; i++) {
      assert.equal(bytes[i * 64 + 63], i % 251, `message ${i} in order`);
    }
  });

  it("reports only the bytes libp2p's sendData took when the socket fills, and loses nothing that waited", async () => {
    const connection = new FakeTcpConnection(client);
    await secured(connection);
    await new Promise((resolve) => setImmediate(resolve));
    const chunk = client.writableHighWaterMark / 2;
    const data = new Uint8ArrayList();
    for (let i = 0; i < 4; i++) {
      data.append(new Uint8Array(chunk).fill(20 + i));
    }
    handed = 0;
    connection.sendData(message(30, 19)); // waits
    const result = connection.sendData(data); // past the high-water mark
    assert.equal(result.canSendMore, false);
    assert.equal(result.sentBytes, handed - 30, "what sendData took, not the whole list");
    assert.ok(result.sentBytes < data.byteLength, "the socket filled part way");
    // libp2p sends the rest of the list once the socket drains.
    await once(client, "drain");
    connection.sendData(data.sublist(result.sentBytes));
    const bytes = await received.take(30 + 4 * chunk);
    assert.ok(bytes.subarray(0, 30).every((byte) => byte === 19));
    for (let i = 0; i < 4; i++) {
      const part = bytes.subarray(30 + i * chunk, 30 + (i + 1) * chunk);
      assert.ok(
        part.every((byte) => byte === 20 + i),
        `chunk ${i} whole and in order`,
      );
    }
  });

  it("writes what waits before the socket ends, when the connection closes in the same turn", async () => {
    const closing = new Socket();
    const { port } = server.address() as { port: number };
    const arrived = Promise.withResolvers<Buffer>();
    server.once("connection", (socket) => {
      const chunks: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("end", () => arrived.resolve(Buffer.concat(chunks)));
    });
    closing.connect(port, "127.0.0.1");
    await once(closing, "connect");
    const connection = new FakeTcpConnection(closing);
    await secured(connection);
    connection.sendData(message(40, 7)); // leaves at once
    connection.sendData(message(40, 8)); // waits for the turn's end
    connection.sendData(message(30, 9)); // a FIN, say: waits too
    await connection.sendClose();
    const bytes = await arrived.promise;
    assert.equal(bytes.byteLength, 110, "nothing that waited was lost");
    assert.ok(bytes.subarray(40, 80).every((byte) => byte === 8));
    assert.ok(bytes.subarray(80).every((byte) => byte === 9));
    closing.destroy();
  });

  it("drops what waits when the socket is destroyed before the turn ends, as a reset drops libp2p's queue", async () => {
    const resetting = new Socket();
    const { port } = server.address() as { port: number };
    resetting.connect(port, "127.0.0.1");
    await once(resetting, "connect");
    const connection = new FakeTcpConnection(resetting);
    await secured(connection);
    let writes = 0;
    const write = resetting.write.bind(resetting) as (chunk: Uint8Array) => boolean;
    resetting.write = ((chunk: Uint8Array) => {
      writes++;
      return write(chunk);
    }) as typeof resetting.write;
    connection.sendData(message(40, 1)); // leaves at once: two chunks
    connection.sendData(message(40, 2)); // waits for the turn's end
    assert.equal(writes, 2);
    resetting.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes, 2, "nothing is written to a destroyed socket");
  });

  it("leaves connections without a TCP socket alone", async () => {
    const sendData = (): SendResult => ({ sentBytes: 0, canSendMore: true });
    const connection = { sendData };
    await secured(connection);
    assert.equal(connection.sendData, sendData);
  });

  it("falls back on a TCP connection of another shape and logs it once; other transports say nothing", async () => {
    const log = captureWrapperLog();
    const seen: MessageStream[] = [];
    const encrypter = corkTcpWrites(recordingEncrypter(seen))({ logger: log.logger });
    const sendData = (): SendResult => ({ sentBytes: 0, canSendMore: true });
    const memory = { sendData, remoteAddr: "/memory/a" };
    await encrypter.secureInbound(memory as never);
    assert.deepEqual(log.lines, [], "a memory connection has no socket to cork");
    // @libp2p/tcp connections whose socket moved out of `socket`, twice.
    for (const port of [1, 2]) {
      const connection = { sendData, remoteAddr: `/ip4/127.0.0.1/tcp/${port}/p2p/12D3KooW` };
      await encrypter.secureOutbound(connection as never);
      assert.equal(connection.sendData, sendData, "left as it is");
    }
    // A socket and sendData, but no sendClose to write held messages before.
    const noClose = { socket: client, sendData, remoteAddr: "/ip4/127.0.0.1/tcp/3" };
    await encrypter.secureOutbound(noClose as never);
    assert.equal(noClose.sendData, sendData, "left as it is");
    assert.equal(log.linesOf("corkTcpWrites").length, 1);
  });
});

/** An encrypter that records the byte length of every `sendData` of the raw connections it secures, and the `socket.write`s each made. */
function recordingWrites(writes: SendDataRecord[][]) {
  return (components: never): ConnectionEncrypter => {
    const encrypter = noise()(components);
    const record = (connection: MessageStream): MessageStream => {
      const raw = connection as unknown as TcpShape;
      assert.ok(raw.socket instanceof Socket, "@libp2p/tcp keeps its net.Socket in `socket`");
      assert.equal(typeof raw.sendData, "function", "@libp2p/tcp writes through `sendData`");
      assert.equal(typeof raw.sendClose, "function", "@libp2p/tcp ends the socket in `sendClose`");
      const log: SendDataRecord[] = [];
      writes.push(log);
      const socket = raw.socket;
      const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
      let socketWrites = 0;
      socket.write = ((chunk: Uint8Array) => {
        socketWrites++;
        return write(chunk);
      }) as typeof socket.write;
      const sendData = raw.sendData.bind(raw);
      raw.sendData = (data: Uint8ArrayList) => {
        socketWrites = 0;
        const result = sendData(data);
        log.push({
          bytes: data.byteLength,
          chunks: [...data].length,
          socketWrites,
          corked: socket.writableCorked,
        });
        return result;
      };
      return connection;
    };
    return {
      ...encrypter,
      protocol: encrypter.protocol,
      secureInbound: (connection, options) => encrypter.secureInbound(record(connection), options),
      secureOutbound: (connection, options) =>
        encrypter.secureOutbound(record(connection), options),
    };
  };
}

/** One `sendData` call: its bytes, the chunks of its list, the `socket.write`s it made, and the socket's cork count after it. */
interface SendDataRecord {
  bytes: number;
  chunks: number;
  socketWrites: number;
  corked: number;
}

interface TcpShape {
  socket: Socket;
  sendData(data: Uint8ArrayList): SendResult;
  sendClose?: unknown;
}

describe("corkTcpWrites canary: unpatched @libp2p/tcp + Noise + Yamux", () => {
  const nodes: Libp2p[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("write each Noise message in two socket writes, and a Yamux window update as a 30-byte message", async () => {
    // When this fails, upstream changed what corkTcpWrites relies on (the
    // socket, sendData, the 30-byte control message) or coalesces writes
    // itself: revisit the wrapper.
    const writes: SendDataRecord[][] = [];
    const stack = () =>
      ({
        transports: [tcp()],
        connectionEncrypters: [recordingWrites(writes)],
        streamMuxers: [yamux()],
      }) as unknown as Libp2pOptions;
    const server = await createLibp2p({
      ...stack(),
      addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    });
    const client = await createLibp2p(stack());
    nodes.push(server, client);
    const inbound = Promise.withResolvers<Stream>();
    await server.handle("/p2prpc-test/cork-canary/1.0.0", (stream) => inbound.resolve(stream));
    const stream = await client.dialProtocol(
      server.getMultiaddrs(),
      "/p2prpc-test/cork-canary/1.0.0",
    );
    const serverStream = await inbound.promise;
    const arrived = receiveBytes(serverStream, 100);
    const serverWrites = writes[0] ?? [];
    const before = serverWrites.length;
    stream.send(new Uint8Array(100).fill(1));
    await arrived;
    // The server's answer to the data frame: a bare window update, as one
    // 30-byte Noise message, written as its length prefix and its ciphertext.
    await waitFor(
      () => serverWrites.slice(before).some((write) => write.bytes === 30),
      "the server's window update",
    );
    const update = serverWrites.slice(before).find((write) => write.bytes === 30);
    assert.deepEqual(update, { bytes: 30, chunks: 2, socketWrites: 2, corked: 0 });
    // Every chunk of every message is a socket write of its own, on an uncorked socket.
    for (const write of serverWrites) {
      assert.equal(write.socketWrites, write.chunks, `a ${write.bytes}-byte sendData`);
      assert.equal(write.corked, 0, `a ${write.bytes}-byte sendData`);
    }
  });
});
