// Calls a GreeterService server with each of the four kinds of RPC, then shows
// two calls that fail on purpose.
//
//   node --conditions=p2prpc-source examples/greeter/client.ts /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…
//
// The address must end in /p2p/<peer id>: the connection's handshake proves
// that the peer answering holds that key. Exits non-zero if a call goes wrong.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2pTransport, createRpcNode } from "p2prpc";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";

const address = process.argv[2];
if (address === undefined || !address.includes("/p2p/")) {
  console.error("usage: client.ts <server multiaddr ending in /p2p/<peer id>>");
  process.exit(2);
}
const server = multiaddr(address);

/** Milliseconds since `start`, for display. */
function since(start: number): string {
  return `${(performance.now() - start).toFixed(1)} ms`;
}

/** `Code.DeadlineExceeded: message`, from whatever a failed call threw. */
function describe(error: unknown): string {
  const connectError = ConnectError.from(error);
  return `${Code[connectError.code]}: ${connectError.rawMessage}`;
}

// A node that only dials: it listens nowhere.
const libp2p = await createRpcNode({ listen: [] });
const greeter = createClient(
  GreeterService,
  // Calls without their own timeoutMs get this deadline.
  createLibp2pTransport({ libp2p, peer: server, defaultTimeoutMs: 5_000 }),
);

let failed = false;
try {
  console.log(`client peer ${libp2p.peerId}`);

  // Unary. The first call also dials the server: transport handshake,
  // encryption and muxer negotiation, then the method's protocol.
  console.log(`\nunary: sayHello({ name: "Ada" })`);
  let start = performance.now();
  const hello = await greeter.sayHello({ name: "Ada" });
  console.log(`  <- "${hello.message}"  [${since(start)}, includes dialing]`);
  for (const connection of libp2p.getConnections()) {
    console.log(`  connected over ${connection.remoteAddr}`);
  }

  // Server streaming: each message is printed as it arrives.
  console.log(`\nserver streaming: countdown({ from: 3, intervalMs: 100 })`);
  start = performance.now();
  for await (const { remaining } of greeter.countdown({ from: 3, intervalMs: 100 })) {
    console.log(`  <- ${remaining}  [${since(start)}]`);
  }
  console.log(`  end  [${since(start)}]`);

  // Client streaming: several requests, one response at the end.
  const names = ["Ada", "Grace", "Linus"];
  console.log(`\nclient streaming: collectNames(${names.join(", ")})`);
  start = performance.now();
  const collected = await greeter.collectNames(
    (async function* () {
      for (const name of names) {
        yield { name };
      }
    })(),
  );
  console.log(`  <- "${collected.greeting}" (count ${collected.count})  [${since(start)}]`);

  // Bidi streaming: send a line, wait for its answer, send the next one.
  const lines = ["hello", "how are you?", "bye"];
  console.log("\nbidi streaming: chat");
  let answered = Promise.withResolvers<void>();
  start = performance.now();
  const outgoing = (async function* () {
    for (const text of lines) {
      answered = Promise.withResolvers<void>();
      console.log(`  -> "${text}"`);
      yield { text };
      await answered.promise;
    }
  })();
  for await (const reply of greeter.chat(outgoing)) {
    console.log(`  <- "${reply.text}"  [${since(start)}]`);
    answered.resolve();
  }

  // Errors arrive as ConnectError, as with any Connect transport.
  console.log("\nerror: countdown({ from: 5, intervalMs: 200 }) with timeoutMs: 300");
  start = performance.now();
  const received: number[] = [];
  try {
    for await (const { remaining } of greeter.countdown(
      { from: 5, intervalMs: 200 },
      { timeoutMs: 300 },
    )) {
      received.push(remaining);
    }
    console.log(`  unexpected: the call succeeded`);
    failed = true;
  } catch (error) {
    console.log(`  <- ${received.join(", ")}, then ${describe(error)}  [${since(start)}]`);
    failed ||= ConnectError.from(error).code !== Code.DeadlineExceeded;
  }

  console.log(`\nerror: sayHello({ name: "" })`);
  start = performance.now();
  try {
    await greeter.sayHello({ name: "" });
    console.log(`  unexpected: the call succeeded`);
    failed = true;
  } catch (error) {
    console.log(`  <- ${describe(error)}  [${since(start)}]`);
    failed ||= ConnectError.from(error).code !== Code.InvalidArgument;
  }
} catch (error) {
  console.error(`call failed: ${describe(error)}`);
  failed = true;
} finally {
  await libp2p.stop();
}
process.exitCode = failed ? 1 : 0;
