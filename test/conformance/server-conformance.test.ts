import type { Libp2p } from "@libp2p/interface";
import { afterAll, beforeAll, describe, it } from "vitest";
import { DEFAULT_CASE_TIMEOUT_MS } from "../../conformance/conformance-case.ts";
import { conformanceRoutes } from "../../conformance/conformance-service.ts";
import { SERVER_CASES, type ServerContext } from "../../conformance/server-cases.ts";
import { createRpcNode, DEFAULT_MAX_MESSAGE_BYTES, rpcServer } from "../../src/index.ts";
import { listenFor, TRANSPORTS } from "../helpers/start-pair.ts";

/** Every server row of the conformance suite, against p2prpc's own server. */
for (const kind of TRANSPORTS) {
  describe(`conformance of p2prpc's server over ${kind}`, () => {
    let server: Libp2p;
    let client: Libp2p;
    beforeAll(async () => {
      server = await createRpcNode({
        listen: listenFor(kind),
        services: { rpc: rpcServer({ routes: conformanceRoutes }) },
      });
      client = await createRpcNode({ listen: kind === "memory" ? listenFor(kind) : [] });
      await client.dial(server.getMultiaddrs());
    });
    afterAll(async () => {
      await Promise.all([client.stop(), server.stop()]);
    });

    for (const row of SERVER_CASES) {
      it(`${row.section} ${row.requirement} ${row.id}`, async () => {
        const context: ServerContext = {
          node: client,
          peer: server.peerId,
          signal: AbortSignal.timeout(DEFAULT_CASE_TIMEOUT_MS),
          readMaxBytes: DEFAULT_MAX_MESSAGE_BYTES,
          writeMaxBytes: DEFAULT_MAX_MESSAGE_BYTES,
          resetMayLookClean: kind === "quic",
        };
        await row.run(context);
      });
    }
  });
}
