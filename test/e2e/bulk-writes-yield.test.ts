// A bulk server stream leaves the event loop room to read between its writes:
// the writer resumes after `drain` in the next check phase, not from the
// drain's own nextTick chain (see FrameWriter, docs/POOL.md "Sharing one
// connection"). Counted, not timed: how many messages the handler produced
// between two turns of the event loop.
import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { createLibp2pTransport, createRpcNode, rpcServer } from "../../src/index.ts";
import { TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { transferImpl } from "../helpers/transfer-service.ts";

const MESSAGE_BYTES = 256 * 1024;
const MESSAGES = 400;

describe("a bulk server stream over TCP", () => {
  let produced = 0;
  let server: Awaited<ReturnType<typeof createRpcNode>>;
  let client: Awaited<ReturnType<typeof createRpcNode>>;
  beforeAll(async () => {
    const data = new Uint8Array(MESSAGE_BYTES);
    server = await createRpcNode({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      services: {
        rpc: rpcServer({
          routes: (router) =>
            router.service(TransferService, {
              ...transferImpl,
              async *download(req) {
                for (let index = 0; index < req.respondCount; index++) {
                  produced++;
                  yield { data };
                }
              },
            }),
        }),
      },
    });
    client = await createRpcNode({ listen: [] });
  });
  afterAll(async () => {
    await Promise.all([client.stop(), server.stop()]);
  });

  it("produces only a few messages per turn of the event loop", async () => {
    const transfer = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: client, peer: server.getMultiaddrs() }),
    );
    let most = 0;
    let atLastTurn = 0;
    let ticking = true;
    const tick = (): void => {
      most = Math.max(most, produced - atLastTurn);
      atLastTurn = produced;
      if (ticking) {
        setImmediate(tick);
      }
    };
    setImmediate(tick);
    let received = 0;
    try {
      for await (const { data } of transfer.download(
        { respondBytes: MESSAGE_BYTES, respondCount: MESSAGES },
        { timeoutMs: TEST_CALL_TIMEOUT_MS },
      )) {
        received += data.byteLength;
      }
    } finally {
      ticking = false;
    }
    assert.equal(received, MESSAGE_BYTES * MESSAGES);
    // Client and server share this process: a writer resumed from the drain
    // itself wrote until the kernel's socket buffers were full (measured:
    // 12-20 messages of 256 KiB per turn); resumed in the check phase, a
    // couple per drain.
    assert.ok(most <= 6, `${most} messages of 256 KiB produced in one turn of the event loop`);
  });
});
