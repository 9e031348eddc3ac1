import { once } from "node:events";
import * as net from "node:net";
import { sendStreamFrames } from "../wire/send-stream-frames.ts";
import {
  decodeStreamRequest,
  encodeFrame,
  encodeStreamRequest,
  FrameSplitter,
} from "../wire/varint-frames.ts";
import { listenLoopback } from "./listen-loopback.ts";
import type { BenchClient, PingPong, SystemModule } from "./system-module.ts";

/** The first byte a client sends picks what the connection does. */
const MODE_ECHO = 0x65; // "e": echo every frame
const MODE_STREAM = 0x73; // "s": one request frame, then frames until an empty one

/** Resolves on `drain` or `close`, removing both listeners either way. */
function socketDrained(socket: net.Socket): Promise<void> {
  if (!socket.writableNeedDrain || socket.destroyed) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

function serveSocket(socket: net.Socket, waitForRelease: () => Promise<void>): void {
  socket.setNoDelay(true);
  socket.on("error", () => socket.destroy());
  let splitter: FrameSplitter | undefined;
  socket.on("data", (chunk: Buffer) => {
    let data: Uint8Array = chunk;
    if (splitter === undefined) {
      const mode = data[0];
      data = data.subarray(1);
      if (mode === MODE_ECHO) {
        splitter = new FrameSplitter((body) => socket.write(encodeFrame(body)));
      } else if (mode === MODE_STREAM) {
        let started = false;
        splitter = new FrameSplitter((body) => {
          if (started) {
            return;
          }
          started = true;
          const sink = {
            send: (frame: Uint8Array) => socket.write(frame),
            drained: () => socketDrained(socket),
            gone: () => socket.destroyed,
          };
          sendStreamFrames(decodeStreamRequest(body), sink, waitForRelease)
            .then(() => socket.end())
            .catch(() => socket.destroy());
        });
      } else {
        socket.destroy();
        return;
      }
    }
    try {
      splitter.push(data);
    } catch {
      socket.destroy();
    }
  });
}

async function connectSocket(address: string, mode: number): Promise<net.Socket> {
  const [host, port] = address.split(":") as [string, string];
  const socket = net.connect({ host, port: Number(port), noDelay: true });
  await once(socket, "connect");
  socket.write(new Uint8Array([mode]));
  return socket;
}

/** Echo requests pipelined on one socket; answers come back in order. */
class PipelinedEcho {
  readonly socket: net.Socket;
  readonly #waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #failure: Error | undefined;

  constructor(socket: net.Socket) {
    this.socket = socket;
    const splitter = new FrameSplitter(() => this.#waiting.shift()?.resolve());
    socket.on("data", (chunk: Buffer) => splitter.push(chunk));
    const fail = (error: Error): void => {
      this.#failure ??= error;
      for (const waiting of this.#waiting.splice(0)) {
        waiting.reject(error);
      }
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("echo socket closed")));
  }

  call(payload: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) {
      return Promise.reject(this.#failure);
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.socket.write(encodeFrame(payload));
    });
  }
}

/** Plain TCP sockets with varint-prefixed frames: the floor under every stack. */
export function nodeNetSystem(): SystemModule {
  return {
    async startServer(context) {
      const server = net.createServer((socket) => serveSocket(socket, context.waitForRelease));
      return { address: await listenLoopback(server) };
    },

    createClient({ server }) {
      return {
        async connect(): Promise<BenchClient> {
          const echo = new PipelinedEcho(await connectSocket(server.address, MODE_ECHO));
          return {
            unary: (payload) => echo.call(payload),
            async openPingPong(): Promise<PingPong> {
              const own = new PipelinedEcho(await connectSocket(server.address, MODE_ECHO));
              return {
                roundTrip: (payload) => own.call(payload),
                close: async () => {
                  own.socket.destroy();
                },
              };
            },
            async serverStream(request, onMessage) {
              const socket = await connectSocket(server.address, MODE_STREAM);
              try {
                await new Promise<void>((resolve, reject) => {
                  const splitter = new FrameSplitter((body) =>
                    body.byteLength === 0 ? resolve() : onMessage(body.byteLength),
                  );
                  socket.on("data", (chunk: Buffer) => splitter.push(chunk));
                  socket.on("error", reject);
                  socket.on("close", () => reject(new Error("stream socket closed early")));
                  socket.write(encodeStreamRequest(request));
                });
              } finally {
                socket.destroy();
              }
            },
            async close() {
              echo.socket.destroy();
            },
          };
        },
        async newPeer() {
          let socket: net.Socket | undefined;
          return {
            async connectAndCall(payload) {
              socket = await connectSocket(server.address, MODE_ECHO);
              await new PipelinedEcho(socket).call(payload);
            },
            async close() {
              socket?.destroy();
            },
          };
        },
      };
    },
  };
}
