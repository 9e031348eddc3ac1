// Balances GreeterService calls over several servers, shows failover when one
// goes away, and prints the pool's stats.
//
//   node --conditions=p2prpc-source examples/pool/client.ts ADDR1 ADDR2 ADDR3
//
// Each ADDR ends in /p2p/<peer id>. After the first round of calls the client
// prints `STOP <peer id>` and waits for a `STOPPED` line on stdin (run-pool.ts
// stops that server in between); then it calls again. Exits non-zero if any
// call fails: the stopped server's calls must fail over to the others.
import { createInterface } from "node:readline";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createLibp2pTransport, createRpcNode, type PeerStats } from "p2prpc";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";

const addresses = process.argv.slice(2);
if (addresses.length < 2 || !addresses.every((address) => address.includes("/p2p/"))) {
  console.error("usage: client.ts <multiaddr ending in /p2p/<peer id>> <another> …");
  process.exit(2);
}
const CALLS_PER_ROUND = 30;

const libp2p = await createRpcNode({ listen: [] });
const transport = createLibp2pTransport({
  libp2p,
  peers: addresses,
  balance: "round-robin",
  retry: { maxAttempts: 3, initialBackoffMs: 20 },
});
transport.pool.addEventListener("call:retried", ({ detail }) => {
  const { code, rawMessage } = detail.error;
  console.log(
    `retry: attempt ${detail.attempt} after ${detail.peer.slice(-6)} failed (${code}: ${rawMessage})`,
  );
});
const greeter = createClient(GreeterService, transport);

/** One line per peer: calls, successes, errors by code, latency. */
function printStats(title: string, stats: PeerStats[]): void {
  console.log(title);
  for (const peer of stats) {
    const errors = Object.entries(peer.errors)
      .map(([code, count]) => `${code} ${count}`)
      .join(", ");
    const p50 = peer.latencyP50Ms?.toFixed(2) ?? "-";
    const p99 = peer.latencyP99Ms?.toFixed(2) ?? "-";
    console.log(
      `  …${peer.peer.slice(-6)}: ${peer.calls} calls, ${peer.succeeded} ok${errors === "" ? "" : `, errors: ${errors}`}, p50 ${p50} ms, p99 ${p99} ms`,
    );
  }
}

async function round(name: string): Promise<number> {
  let failed = 0;
  for (let i = 0; i < CALLS_PER_ROUND; i++) {
    try {
      await greeter.sayHello({ name: `${name}-${i}` }, { timeoutMs: 5000 });
    } catch (error) {
      failed++;
      console.log(`call ${name}-${i} failed: ${ConnectError.from(error).message}`);
    }
  }
  return failed;
}

let failures = await round("first");
printStats(
  `after ${CALLS_PER_ROUND} calls to ${addresses.length} servers:`,
  transport.pool.stats(),
);

// Ask for one server to be stopped, and wait until it is.
const victim = transport.pool.stats()[0]?.peer ?? "";
console.log(`STOP ${victim}`);
const input = createInterface({ input: process.stdin });
for await (const line of input) {
  if (line === "STOPPED") {
    break;
  }
}
input.close();

failures += await round("second");
printStats(
  `after ${CALLS_PER_ROUND} more calls, with …${victim.slice(-6)} stopped:`,
  transport.pool.stats(),
);
await libp2p.stop();
console.log(failures === 0 ? "every call succeeded" : `${failures} calls failed`);
process.exit(failures === 0 ? 0 : 1);
