// Runs examples/http-and-p2p: one routes function behind HTTP and libp2p, called both ways.
import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, describe, it } from "vitest";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import { runCli, type ServerProcess, startServer } from "../helpers/run-cli.ts";

const dir = new URL("../../examples/http-and-p2p/", import.meta.url).pathname;
const node = (file: string, ...args: string[]): string[] => [
  process.execPath,
  "--conditions=p2prpc-source",
  `${dir}${file}`,
  ...args,
];

describe("examples/http-and-p2p", { timeout: 60_000 }, () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("one routes function answers an HTTP client and a libp2p client", async () => {
    let url = "";
    server = await startServer(node("server.ts"), {
      ready: (line) => {
        if (line.startsWith("HTTP ")) {
          url = line.slice(5);
        }
        return line === "READY";
      },
    });
    const [address] = server.addresses;
    assert.ok(address && url.startsWith("http://127.0.0.1:"));
    const client = await runCli([], { command: node("client.ts", url, address) });
    assert.equal(client.code, 0, client.stderr);
    // The client's PeerId, as the server authenticated it, and nothing for HTTP.
    assert.match(
      client.stdout,
      /^http: Hello, Ada! \(over HTTP\) countdown 3,2,1\np2p: Hello, Ada! \(over peer 12D3KooW\w+\) countdown 3,2,1\n$/,
    );
    // And the Connect protocol over HTTP/2, from this process.
    const connect = createClient(
      GreeterService,
      createConnectTransport({ baseUrl: url, httpVersion: "2" }),
    );
    const { message } = await connect.sayHello({ name: "Grace" }, { timeoutMs: 5000 });
    assert.equal(message, "Hello, Grace! (over HTTP)");
  });
});
