import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  createHandlerContext,
  type Transport,
} from "@connectrpc/connect";
import type { Connection } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import {
  BenchService,
  UnaryRequestSchema,
  UnaryResponseSchema,
} from "../../gen/p2prpc/bench/v1/bench_pb.ts";
import { createRpcNode } from "../../src/index.ts";
import { feedFrames } from "../wire/libp2p-stream-io.ts";
import { ReusedStream } from "../wire/reused-stream.ts";
import { encodeFrame, FrameSplitter } from "../wire/varint-frames.ts";
import { benchServiceImpl } from "./bench-service-impl.ts";
import { libp2pServerInfo } from "./libp2p-server-info.ts";
import { MANY_PEERS_CONNECTION_MANAGER } from "./many-peers.ts";
import { RAW_STREAM_LIMITS } from "./raw-stream-limits.ts";
import type { SystemModule } from "./system-module.ts";

const PROTOCOL = "/p2prpc-bench/connect-floor/1.0.0";

/** What every part of the floor system but unary calls answers. */
function unsupported(): Promise<never> {
  return Promise.reject(
    new ConnectError("the floor system runs unary calls only", Code.Unimplemented),
  );
}

/**
 * The least a Connect-typed RPC on libp2p must do, for unary calls on reused
 * streams: Connect's `createClient` over a transport that encodes the request
 * with protobuf-es, sends it as one varint-prefixed frame on a long-lived
 * stream (raw libp2p's one-stream pattern), and decodes the answer; a server
 * that decodes the request, calls the bench service's own handler and encodes
 * its answer. No request or response header, no trailer or status, no
 * deadline, no cancellation, no metadata, no end-of-call marker, and one
 * handler context per stream, not per call. It is the floor any framework
 * with p2prpc's API pays on this stack, not a usable RPC: the benchmark runs
 * it only to split p2prpc's overhead over raw libp2p into what Connect and
 * protobuf cost and what p2prpc's own protocol costs.
 */
export function connectOnRawLibp2pSystem(): SystemModule {
  return {
    async startServer(context) {
      const node = await createRpcNode({
        listen: ["/ip4/127.0.0.1/tcp/0"],
        libp2p: { connectionManager: MANY_PEERS_CONNECTION_MANAGER },
      });
      const impl = benchServiceImpl(context.waitForRelease);
      await node.handle(
        PROTOCOL,
        (stream) => {
          const handlerContext = createHandlerContext({
            service: BenchService,
            method: BenchService.method.unary,
            protocolName: "connect-floor",
            requestMethod: "POST",
            url: PROTOCOL,
          });
          const answer = (response: MessageInitShape<typeof UnaryResponseSchema>): void => {
            stream.send(
              encodeFrame(toBinary(UnaryResponseSchema, create(UnaryResponseSchema, response))),
            );
          };
          feedFrames(
            stream,
            new FrameSplitter((body) => {
              const output = impl.unary(fromBinary(UnaryRequestSchema, body), handlerContext);
              if (output instanceof Promise) {
                output.then(answer, (error: Error) => stream.abort(error));
              } else {
                answer(output);
              }
            }),
          );
        },
        RAW_STREAM_LIMITS,
      );
      return libp2pServerInfo(node, "connect-on-raw-libp2p");
    },

    createClient({ server }) {
      const target = multiaddr(server.address);
      return {
        async connect() {
          const node = await createRpcNode({ listen: [] });
          const connection = await node.dial(target);
          const client = createClient(BenchService, floorTransport(connection));
          return {
            async unary(payload) {
              await client.unary({ payload });
            },
            openPingPong: unsupported,
            serverStream: unsupported,
            close: async () => {
              await node.stop();
            },
          };
        },
        newPeer: unsupported,
      };
    },
  };
}

/** A Connect transport for unary calls, each on an idle reused stream or a new one. */
function floorTransport(connection: Connection): Transport {
  const idle: ReusedStream[] = [];
  return {
    async unary(method, _signal, _timeoutMs, _header, input) {
      const request = create(method.input, input);
      const reused =
        idle.pop() ?? new ReusedStream(await connection.newStream(PROTOCOL, RAW_STREAM_LIMITS));
      const body = await reused.call(toBinary(method.input, request));
      idle.push(reused);
      return {
        stream: false,
        service: method.parent,
        method,
        header: new Headers(),
        message: fromBinary(method.output, body),
        trailer: new Headers(),
      };
    },
    stream: unsupported,
  };
}
