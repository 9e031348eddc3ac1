// Starts three GreeterService servers (examples/greeter/server.ts, each with
// its own key), runs examples/pool/client.ts over all three, stops the server
// the client names mid-way, and exits with the client's exit code.
//
//   node --conditions=p2prpc-source examples/pool/run-pool.ts
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

const ROOT = resolve(import.meta.dirname, "../..");
const SERVERS = 3;
const WATCHDOG_MS = 30_000;
const children = new Set<ChildProcess>();

function run(file: string, args: string[], label: string): ChildProcess {
  const child = spawn(process.execPath, ["--conditions=p2prpc-source", file, ...args], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  child.once("close", () => children.delete(child));
  if (child.stderr !== null) {
    createInterface({ input: child.stderr }).on("line", (line) => console.log(`${label} ${line}`));
  }
  return child;
}

const watchdog = setTimeout(() => {
  console.error(`pool demo: gave up after ${WATCHDOG_MS / 1000} s`);
  for (const child of children) {
    child.kill("SIGKILL");
  }
  process.exit(1);
}, WATCHDOG_MS);

/** Starts one server; resolves with its peer id, its TCP address and the process. */
function startServer(
  index: number,
): Promise<{ peer: string; address: string; child: ChildProcess }> {
  const child = run(
    "examples/greeter/server.ts",
    ["--key", `.p2prpc-demo/pool-server-${index}.key`, "/ip4/127.0.0.1/tcp/0"],
    `[server ${index}]`,
  );
  return new Promise((resolvePromise, reject) => {
    let peer = "";
    let address = "";
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on(
      "line",
      (line) => {
        if (line.startsWith("PEER ")) {
          peer = line.slice("PEER ".length);
        } else if (line.startsWith("LISTEN ")) {
          address = line.slice("LISTEN ".length);
        } else if (line === "READY") {
          resolvePromise({ peer, address, child });
        }
      },
    );
    child.once("close", (code) => reject(new Error(`server ${index} exited with ${code}`)));
  });
}

const servers = await Promise.all(
  Array.from({ length: SERVERS }, (_, index) => startServer(index)),
);
for (const [index, { peer, address }] of servers.entries()) {
  console.log(`[server ${index}] ${peer.slice(-6)} at ${address}`);
}

const client = run(
  "examples/pool/client.ts",
  servers.map(({ address }) => address),
  "[client]",
);
createInterface({ input: client.stdout as NonNullable<typeof client.stdout> }).on(
  "line",
  (line) => {
    console.log(`[client] ${line}`);
    if (line.startsWith("STOP ")) {
      const victim = servers.find(({ peer }) => peer === line.slice("STOP ".length));
      if (victim === undefined) {
        client.stdin?.end("STOPPED\n");
        return;
      }
      console.log(`[pool demo] stopping server …${victim.peer.slice(-6)} (SIGKILL)`);
      victim.child.once("close", () => client.stdin?.write("STOPPED\n"));
      victim.child.kill("SIGKILL");
    }
  },
);
const code = await new Promise<number>((resolvePromise) =>
  client.once("close", (exitCode) => resolvePromise(exitCode ?? 1)),
);
for (const { child } of servers) {
  child.kill("SIGTERM");
}
clearTimeout(watchdog);
console.log(`[pool demo] client exited with code ${code}`);
process.exit(code);
