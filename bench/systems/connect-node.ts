import * as http2 from "node:http2";
import { createClient } from "@connectrpc/connect";
import {
  connectNodeAdapter,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { BenchService } from "../../gen/p2prpc/bench/v1/bench_pb.ts";
import { benchServiceImpl } from "./bench-service-impl.ts";
import { connectBenchClient } from "./connect-bench-client.ts";
import { listenLoopback } from "./listen-loopback.ts";
import type { SystemModule } from "./system-module.ts";

/** Connect-ES over HTTP/2 (h2c) with the gRPC protocol: the HTTP sibling of p2prpc. */
export function connectNodeSystem(): SystemModule {
  return {
    async startServer(context) {
      const server = http2.createServer(
        connectNodeAdapter({
          routes: (router) =>
            router.service(BenchService, benchServiceImpl(context.waitForRelease)),
        }),
      );
      return { address: await listenLoopback(server) };
    },

    createClient({ server }) {
      const baseUrl = `http://${server.address}`;
      const open = () => {
        const sessionManager = new Http2SessionManager(baseUrl);
        const client = createClient(BenchService, createGrpcTransport({ baseUrl, sessionManager }));
        return { sessionManager, client };
      };
      return {
        async connect() {
          const { sessionManager, client } = open();
          return connectBenchClient(client, async () => sessionManager.abort());
        },
        async newPeer() {
          let sessionManager: Http2SessionManager | undefined;
          return {
            async connectAndCall(payload) {
              const opened = open();
              sessionManager = opened.sessionManager;
              await opened.client.unary({ payload });
            },
            async close() {
              sessionManager?.abort();
            },
          };
        },
      };
    },
  };
}
