import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport, createRpcNode, getRemotePeer, rpcServer } from "../../src/index.ts";
import { startPair, TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { aborted, codeOf, waitFor } from "../helpers/wait-for.ts";

describe("server options", () => {
  it("requestGate refuses a caller before the handler runs, knowing who called", async () => {
    let gated = "";
    const pair = await startPair("memory", {
      server: {
        requestGate(ctx) {
          gated = getRemotePeer(ctx).peerId.toString();
          if (ctx.requestHeader.get("x-token") !== "open sesame") {
            throw new ConnectError("who are you?", Code.PermissionDenied);
          }
        },
      },
    });
    try {
      assert.equal(await codeOf(pair.echo.unary({ text: "gated" })), Code.PermissionDenied);
      assert.equal(gated, pair.client.peerId.toString());
      assert.equal(pair.probe.signals.has("gated"), false, "the handler never ran");
      const ok = await pair.echo.unary(
        { text: "let in" },
        { headers: { "x-token": "open sesame" } },
      );
      assert.equal(ok.text, "let in");
    } finally {
      await pair.stop();
    }
  });

  it("a deadline above maxTimeoutMs is InvalidArgument", async () => {
    const pair = await startPair("memory", { server: { maxTimeoutMs: 1000 } });
    try {
      assert.equal(
        await codeOf(pair.echo.unary({ text: "long" }, { timeoutMs: 60_000 })),
        Code.InvalidArgument,
      );
      const ok = await pair.echo.unary({ text: "short" }, { timeoutMs: 500 });
      assert.equal(ok.text, "short");
    } finally {
      await pair.stop();
    }
  });

  it("per-route options override the server's, as in Connect", async () => {
    const server = await createRpcNode({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      services: {
        rpc: rpcServer({
          readMaxBytes: 1024,
          routes: (router) =>
            router.rpc(EchoService.method.unary, (req) => ({ text: req.text }), {
              readMaxBytes: 64 * 1024,
            }),
        }),
      },
    });
    const client = await createRpcNode({ listen: [] });
    try {
      const echo = createClient(
        EchoService,
        createLibp2pTransport({
          libp2p: client,
          peer: server.getMultiaddrs(),
          defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
        }),
      );
      const text = "x".repeat(10 * 1024);
      assert.equal((await echo.unary({ text })).text, text);
      // A method of the service the route did not register is not served.
      assert.equal(await codeOf(echo.missing({})), Code.Unimplemented);
    } finally {
      await Promise.all([server.stop(), client.stop()]);
    }
  });

  it("stopping the server cancels handlers still running after its grace period", async () => {
    // The drain itself is tested in test/e2e/graceful-shutdown.test.ts.
    const pair = await startPair("tcp", { server: { shutdownGraceMs: 50 } });
    try {
      const call = codeOf(pair.echo.unary({ text: "running", hang: true }));
      await waitFor(() => pair.probe.signals.has("running"), "the handler to start");
      const signal = pair.probe.signals.get("running") as AbortSignal;
      const rpc = (pair.server.services as { rpc: { stop(): Promise<void> } }).rpc;
      await rpc.stop();
      const reason = await aborted(signal);
      assert.equal((reason as ConnectError).code, Code.Canceled);
      assert.equal(await call, Code.Canceled);
      // New calls are no longer negotiated.
      assert.equal(await codeOf(pair.echo.unary({ text: "after" })), Code.Unimplemented);
    } finally {
      await pair.stop();
    }
  });
});
