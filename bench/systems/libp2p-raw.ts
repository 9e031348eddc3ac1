import type { Connection, Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { createRpcNode } from "../../src/index.ts";
import { closedEarly, drained, feedFrames } from "../wire/libp2p-stream-io.ts";
import { ReusedStream } from "../wire/reused-stream.ts";
import { sendStreamFrames } from "../wire/send-stream-frames.ts";
import {
  decodeStreamRequest,
  encodeFrame,
  encodeStreamRequest,
  FrameSplitter,
} from "../wire/varint-frames.ts";
import { libp2pServerInfo } from "./libp2p-server-info.ts";
import { MANY_PEERS_CONNECTION_MANAGER } from "./many-peers.ts";
import { RAW_STREAM_LIMITS } from "./raw-stream-limits.ts";
import type { BenchClient, PingPong, StreamRequest, SystemModule } from "./system-module.ts";

/** One protocol per pattern, as p2prpc has one per method. */
const PROTOCOL = {
  /** One request frame, one response frame, then both sides close. */
  echoOnce: "/p2prpc-bench/echo-once/1.0.0",
  /** Every frame is echoed until the client closes. */
  echo: "/p2prpc-bench/echo/1.0.0",
  /** One request frame, then frames until an empty one. */
  stream: "/p2prpc-bench/stream/1.0.0",
} as const;

/** One request on a fresh echo-once stream: send, read the answer, close. */
async function echoOnce(stream: Stream, payload: Uint8Array): Promise<void> {
  const answered = new Promise<void>((resolve) => {
    feedFrames(stream, new FrameSplitter(() => resolve()));
  });
  stream.send(encodeFrame(payload));
  await Promise.race([answered, closedEarly(stream, "echo-once")]);
  await stream.close();
}

async function serverStreamOn(
  connection: Connection,
  request: StreamRequest,
  onMessage: (bytes: number) => void,
): Promise<void> {
  const stream = await connection.newStream(PROTOCOL.stream, RAW_STREAM_LIMITS);
  const finished = new Promise<void>((resolve) => {
    feedFrames(
      stream,
      new FrameSplitter((body) => (body.byteLength === 0 ? resolve() : onMessage(body.byteLength))),
    );
  });
  stream.send(encodeStreamRequest(request));
  await Promise.race([finished, closedEarly(stream, "stream")]);
  await stream.close();
}

/** Where the raw server listens, by transport. */
const LISTEN = {
  tcp: "/ip4/127.0.0.1/tcp/0",
  quic: "/ip4/127.0.0.1/udp/0/quic-v1",
} as const;

/**
 * Raw libp2p streams on the stack createRpcNode builds (TCP + Noise + Yamux,
 * or QUIC), with varint-prefixed frames and no RPC layer. `new-stream` opens
 * a negotiated stream per request; `one-stream` reuses long-lived streams.
 * Over QUIC it is the floor under p2prpc's QUIC figures: what the transport
 * itself moves.
 */
export function libp2pRawSystem(
  pattern: "new-stream" | "one-stream",
  transport: keyof typeof LISTEN = "tcp",
): SystemModule {
  return {
    async startServer(context) {
      const node = await createRpcNode({
        listen: [LISTEN[transport]],
        libp2p: { connectionManager: MANY_PEERS_CONNECTION_MANAGER },
      });
      await node.handle(
        PROTOCOL.echoOnce,
        (stream) => {
          feedFrames(
            stream,
            new FrameSplitter((body) => {
              stream.send(encodeFrame(body));
              stream.close().catch((error: Error) => stream.abort(error));
            }),
          );
        },
        RAW_STREAM_LIMITS,
      );
      await node.handle(
        PROTOCOL.echo,
        (stream) => {
          feedFrames(
            stream,
            new FrameSplitter((body) => {
              stream.send(encodeFrame(body));
            }),
          );
          stream.addEventListener("remoteCloseWrite", () => {
            stream.close().catch((error: Error) => stream.abort(error));
          });
        },
        RAW_STREAM_LIMITS,
      );
      await node.handle(
        PROTOCOL.stream,
        (stream) => {
          let started = false;
          const sink = {
            send: (frame: Uint8Array) => stream.send(frame),
            drained: () => drained(stream),
            gone: () => stream.status !== "open" || stream.writeStatus !== "writable",
          };
          feedFrames(
            stream,
            new FrameSplitter((body) => {
              if (started) {
                return;
              }
              started = true;
              sendStreamFrames(decodeStreamRequest(body), sink, context.waitForRelease)
                .then(() => stream.close())
                .catch((error: Error) => stream.abort(error));
            }),
          );
        },
        RAW_STREAM_LIMITS,
      );
      return libp2pServerInfo(node, "raw libp2p");
    },

    createClient({ server }) {
      const target = multiaddr(server.address);
      return {
        async connect(): Promise<BenchClient> {
          const node = await createRpcNode({ listen: [] });
          const connection = await node.dial(target);
          const idle: ReusedStream[] = [];
          const openReused = async (): Promise<ReusedStream> =>
            new ReusedStream(await connection.newStream(PROTOCOL.echo, RAW_STREAM_LIMITS));
          const unary =
            pattern === "new-stream"
              ? async (payload: Uint8Array) =>
                  echoOnce(
                    await connection.newStream(PROTOCOL.echoOnce, RAW_STREAM_LIMITS),
                    payload,
                  )
              : async (payload: Uint8Array) => {
                  const reused = idle.pop() ?? (await openReused());
                  await reused.call(payload);
                  idle.push(reused);
                };
          return {
            unary,
            async openPingPong(): Promise<PingPong> {
              const reused = await openReused();
              return {
                roundTrip: (payload) => reused.call(payload),
                close: () => reused.stream.close(),
              };
            },
            serverStream: (request, onMessage) => serverStreamOn(connection, request, onMessage),
            close: async () => {
              await node.stop();
            },
          };
        },
        async newPeer() {
          const node = await createRpcNode({ listen: [] });
          return {
            async connectAndCall(payload) {
              await echoOnce(
                await node.dialProtocol(target, PROTOCOL.echoOnce, RAW_STREAM_LIMITS),
                payload,
              );
            },
            close: async () => {
              await node.stop();
            },
          };
        },
      };
    },
  };
}
