// End to end: each `p2prpc` subcommand, run as a process from source, against
// a `p2prpc serve` process serving EchoService over TCP.
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { CLI, runCli, type ServerProcess, startServer } from "../helpers/run-cli.ts";

const EXIT_NOT_SERVING = 20;
const EXIT_USAGE = 64;
const ECHO = "p2prpc.test.v1.EchoService";
const FIXTURE = new URL("fixtures/echo-routes.ts", import.meta.url).pathname;

const lines = (text: string): unknown[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);

describe("p2prpc CLI", { timeout: 60_000 }, () => {
  let dir: string;
  let server: ServerProcess;
  let peer: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p2prpc-cli-"));
    server = await startServer([
      process.execPath,
      "--conditions=p2prpc-source",
      CLI,
      "serve",
      FIXTURE,
      "--key",
      join(dir, "server.key"),
      "--listen",
      "/ip4/127.0.0.1/tcp/0",
    ]);
    peer = server.addresses[0] ?? "";
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("id creates a key file once and prints its PeerId; serve used its --key", async () => {
    const key = join(dir, "client.key");
    const first = await runCli(["id", "--key", key]);
    assert.equal(first.code, 0);
    assert.match(first.stdout, /^12D3KooW\w+\n$/);
    assert.equal((await stat(key)).mode & 0o777, 0o600);
    assert.equal((await runCli(["id", "--key", key])).stdout, first.stdout);
    const ofServer = await runCli(["id", "--key", join(dir, "server.key")]);
    assert.equal(ofServer.stdout, `${server.peerId}\n`);
    assert.ok(peer.endsWith(`/p2p/${server.peerId}`));
  });

  it("list shows the services (health and reflection on by default), and a service's methods", async () => {
    const services = await runCli(["list", peer]);
    assert.equal(services.code, 0, services.stderr);
    assert.deepEqual(services.stdout.trim().split("\n"), [
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      ECHO,
    ]);
    const methods = await runCli(["list", peer, ECHO]);
    assert.deepEqual(
      methods.stdout.trim().split("\n"),
      ["Unary", "ServerStream", "ClientStream", "Bidi", "Missing"].map((m) => `${ECHO}/${m}`),
    );
  });

  it("describe shows a service, a method with its messages; an unknown symbol exits NotFound", async () => {
    const service = await runCli(["describe", peer, ECHO]);
    assert.equal(service.code, 0, service.stderr);
    assert.ok(
      service.stdout.includes(
        "  rpc Bidi(stream p2prpc.test.v1.EchoRequest) returns (stream p2prpc.test.v1.EchoResponse);",
      ),
      service.stdout,
    );
    const method = await runCli(["describe", peer, `${ECHO}/ServerStream`]);
    assert.ok(
      method.stdout.startsWith("rpc ServerStream(p2prpc.test.v1.EchoRequest) returns (stream"),
    );
    assert.ok(method.stdout.includes("  uint32 fail_code = 5;"), method.stdout);
    assert.ok(method.stdout.includes("  bytes payload = 2;"), method.stdout);
    assert.equal((await runCli(["describe", peer, "acme.Nothing"])).code, Code.NotFound);
  });

  it("call unary: JSON in, canonical JSON out; -H sends headers, --timeout the deadline, --key the identity", async () => {
    const key = join(dir, "caller.key");
    const callerId = (await runCli(["id", "--key", key])).stdout.trim();
    const result = await runCli([
      "call",
      peer,
      `${ECHO}/Unary`,
      '{"text":"echo-header","payload":"AQI="}',
      "-H",
      "x-request: hello",
      "--timeout",
      "5000",
      "--key",
      key,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [response] = lines(result.stdout) as [Record<string, unknown>];
    assert.equal(response.text, "hello");
    assert.equal(response.payload, "AQI="); // bytes as base64, the canonical mapping
    assert.equal(response.caller, callerId);
    const timeoutMs = Number(response.timeoutMs);
    assert.ok(timeoutMs > 4000 && timeoutMs <= 5000, `deadline seen ${timeoutMs}`);
  });

  it("call server streaming prints one response per line, and no progress when piped", async () => {
    const result = await runCli(["call", peer, `${ECHO}/ServerStream`, '{"text":"s","repeat":3}']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), [
      { text: "s" },
      { text: "s", index: 1 },
      { text: "s", index: 2 },
    ]);
    assert.equal(result.stderr, "");
  });

  it("call client and bidi streaming read JSON lines from stdin", async () => {
    const input = '{"text":"a"}\n\n{"text":"b"}\n{"text":"c"}\n';
    const client = await runCli(["call", peer, `${ECHO}/ClientStream`], { stdin: input });
    assert.equal(client.code, 0, client.stderr);
    assert.deepEqual(lines(client.stdout), [{ text: "a,b,c", index: 3 }]);
    const bidi = await runCli(["call", peer, `${ECHO}/Bidi`, "--timeout", "10000"], {
      stdin: input,
    });
    assert.equal(bidi.code, 0, bidi.stderr);
    assert.deepEqual(lines(bidi.stdout), [
      { text: "a" },
      { text: "b", index: 1 },
      { text: "c", index: 2 },
    ]);
  });

  it("a failed call exits with its status code and prints its details and metadata", async () => {
    const failed = await runCli(["call", peer, `${ECHO}/Unary`, '{"text":"x","failCode":9}']);
    assert.equal(failed.code, Code.FailedPrecondition);
    assert.equal(failed.stdout, "");
    assert.ok(
      failed.stderr.includes(
        'detail p2prpc.test.v1.EchoResponse: {"text":"detail of x","index":7}',
      ),
      failed.stderr,
    );
    assert.ok(failed.stderr.includes("metadata x-fail: yes"), failed.stderr);
    const late = await runCli(["call", peer, `${ECHO}/Unary`, '{"hang":true}', "--timeout", "300"]);
    assert.equal(late.code, Code.DeadlineExceeded);
    assert.equal((await runCli(["call", peer, `${ECHO}/Missing`])).code, Code.Unimplemented);
    assert.equal((await runCli(["call", peer, `${ECHO}/Nope`])).code, Code.NotFound);
    assert.equal((await runCli(["call", peer, `${ECHO}/Unary`, '{"nope":1}'])).code, EXIT_USAGE);
    assert.equal((await runCli(["call", "not-a-peer", `${ECHO}/Unary`])).code, EXIT_USAGE);
  });

  it("call --proto takes the descriptors from local .proto files", async () => {
    const result = await runCli([
      "call",
      peer,
      `${ECHO}/Unary`,
      '{"text":"p"}',
      "--proto",
      "proto",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((lines(result.stdout)[0] as { text: string }).text, "p");
  });

  it("health checks the server and a service; --watch prints the status until the deadline", async () => {
    const whole = await runCli(["health", peer]);
    assert.equal(whole.code, 0, whole.stderr);
    assert.equal(whole.stdout, "SERVING\n");
    assert.equal((await runCli(["health", peer, ECHO])).stdout, "SERVING\n");
    assert.equal((await runCli(["health", peer, "acme.Unknown"])).code, Code.NotFound);
    const watch = await runCli(["health", peer, ECHO, "--watch", "--timeout", "700"]);
    assert.equal(watch.stdout, "SERVING\n");
    assert.equal(watch.code, Code.DeadlineExceeded);
  });

  it("health exits 20 for a service that is not SERVING", async () => {
    const other = await startServer([
      process.execPath,
      "--conditions=p2prpc-source",
      new URL("fixtures/not-serving-server.ts", import.meta.url).pathname,
    ]);
    try {
      const down = await runCli(["health", other.addresses[0] ?? "", "acme.Down"]);
      assert.equal(down.stdout, "NOT_SERVING\n");
      assert.equal(down.code, EXIT_NOT_SERVING);
    } finally {
      await other.stop();
    }
  });

  it("ping prints a round-trip time per ping", async () => {
    const result = await runCli(["ping", peer, "--count", "2"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.match(/time=\d+(\.\d+)? ms/g)?.length, 2, result.stdout);
  });

  it("--help of every subcommand shows an example", async () => {
    for (const command of ["id", "list", "describe", "call", "health", "ping", "serve"]) {
      const help = await runCli([command, "--help"]);
      assert.equal(help.code, 0, command);
      assert.match(help.stdout, /Examples?:\n {2}p2prpc /, command);
    }
    assert.equal((await runCli(["frobnicate"])).code, EXIT_USAGE);
  });
});
