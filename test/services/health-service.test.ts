import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { afterEach, beforeEach, describe, it } from "vitest";
import { Health } from "../../gen/health/v1/health_pb.ts";
import {
  createHealthService,
  createLibp2pTransport,
  createRpcNode,
  type HealthService,
  rpcServer,
  ServingStatus,
} from "../../src/index.ts";
import { memoryListen, TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { codeOf } from "../helpers/wait-for.ts";

describe("createHealthService", () => {
  let server: Libp2p;
  let client: Libp2p;
  let health: HealthService;
  let healthClient: ReturnType<typeof createClient<typeof Health>>;

  beforeEach(async () => {
    health = createHealthService({ statuses: { "acme.Up": ServingStatus.SERVING } });
    server = await createRpcNode({
      listen: memoryListen(),
      services: { rpc: rpcServer({ routes: health.routes }) },
    });
    client = await createRpcNode({ listen: memoryListen() });
    healthClient = createClient(
      Health,
      createLibp2pTransport({
        libp2p: client,
        peer: server.getMultiaddrs(),
        defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
      }),
    );
  });
  afterEach(async () => {
    await Promise.all([client.stop(), server.stop()]);
  });

  it("Check answers the status set, the whole server as SERVING, an unknown service NotFound", async () => {
    assert.equal((await healthClient.check({ service: "" })).status, ServingStatus.SERVING);
    assert.equal((await healthClient.check({ service: "acme.Up" })).status, ServingStatus.SERVING);
    health.setStatus("acme.Up", ServingStatus.NOT_SERVING);
    assert.equal(
      (await healthClient.check({ service: "acme.Up" })).status,
      ServingStatus.NOT_SERVING,
    );
    assert.equal(await codeOf(healthClient.check({ service: "acme.Nope" })), Code.NotFound);
    health.clearStatus("acme.Up");
    assert.equal(await codeOf(healthClient.check({ service: "acme.Up" })), Code.NotFound);
  });

  it("List gives every status", async () => {
    health.setStatus("acme.Down", ServingStatus.NOT_SERVING);
    const { statuses } = await healthClient.list({});
    assert.deepEqual(
      Object.fromEntries(Object.entries(statuses).map(([name, { status }]) => [name, status])),
      {
        "": ServingStatus.SERVING,
        "acme.Up": ServingStatus.SERVING,
        "acme.Down": ServingStatus.NOT_SERVING,
      },
    );
  });

  it("Watch sends the current status, then each change once, SERVICE_UNKNOWN for an unknown service", async () => {
    const seen: number[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      for await (const { status } of healthClient.watch(
        { service: "acme.Later" },
        { signal: controller.signal },
      )) {
        seen.push(status);
        if (seen.length === 1) {
          health.setStatus("acme.Later", ServingStatus.SERVING);
          health.setStatus("acme.Later", ServingStatus.SERVING); // no change: nothing sent
        } else if (seen.length === 2) {
          health.setStatus("acme.Later", ServingStatus.NOT_SERVING);
        } else {
          controller.abort();
        }
      }
    })();
    assert.equal(await codeOf(watching), Code.Canceled);
    assert.deepEqual(seen, [
      ServingStatus.SERVICE_UNKNOWN,
      ServingStatus.SERVING,
      ServingStatus.NOT_SERVING,
    ]);
  });
});
