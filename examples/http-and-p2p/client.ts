// Calls the same service through both kinds of transport: gRPC over HTTP/2
// (connect-node) and p2prpc over libp2p. Only the transport differs.
//
//   node --conditions=p2prpc-source examples/http-and-p2p/client.ts <url> <multiaddr>
import { createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createLibp2pTransport, createRpcNode } from "p2prpc";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";

const [url, peer] = process.argv.slice(2);
if (url === undefined || peer === undefined) {
  console.error("usage: client.ts <http url> <multiaddr>");
  process.exit(2);
}

async function greet(label: string, transport: Transport): Promise<void> {
  const greeter = createClient(GreeterService, transport);
  const { message } = await greeter.sayHello({ name: "Ada" }, { timeoutMs: 5000 });
  const counted: number[] = [];
  for await (const { remaining } of greeter.countdown({ from: 3 }, { timeoutMs: 5000 })) {
    counted.push(remaining);
  }
  console.log(`${label}: ${message} countdown ${counted.join(",")}`);
}

const libp2p = await createRpcNode({ listen: [] });
try {
  await greet("http", createGrpcTransport({ baseUrl: url }));
  await greet("p2p", createLibp2pTransport({ libp2p, peer }));
} finally {
  await libp2p.stop();
}
