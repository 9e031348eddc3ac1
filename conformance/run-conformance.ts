/**
 * The conformance suite's command line (`npm run conformance -- …`):
 *
 * - `<multiaddr>`: runs the server rows against the server at that address
 *   (ending in `/p2p/<peer id>`), which must serve
 *   `p2prpc.conformance.v1.ConformanceService`. `--read-max-bytes <n>` and
 *   `--write-max-bytes <n>` tell the suite the server's limits (default 4194304).
 * - `--serve [<listen multiaddr>…]`: starts p2prpc's reference conformance
 *   server, prints its addresses and serves until interrupted, so that
 *   another implementation's client can be checked against it.
 * - `--client`: runs the client rows against p2prpc's own client over TCP.
 *
 * Prints one line per row; exits 1 when a MUST row failed.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { createRpcNode, DEFAULT_MAX_MESSAGE_BYTES, rpcServer } from "../src/index.ts";
import { CLIENT_CASES } from "./client-cases.ts";
import { startClientHarness } from "./client-harness.ts";
import { type CaseResult, runCases } from "./conformance-case.ts";
import { conformanceRoutes } from "./conformance-service.ts";
import { SERVER_CASES } from "./server-cases.ts";

const USAGE = `usage: npm run conformance -- <multiaddr> [--read-max-bytes <n>] [--write-max-bytes <n>]
       npm run conformance -- --serve [<listen multiaddr>...]
       npm run conformance -- --client`;

function report(result: CaseResult): void {
  const mark = result.passed ? "PASS" : result.requirement === "MUST" ? "FAIL" : "WARN";
  const line = `${mark} ${result.section.padEnd(11)} ${result.requirement.padEnd(6)} ${result.id} (${result.durationMs} ms)`;
  console.log(line);
  if (!result.passed) {
    const error = result.error;
    console.log(
      `     ${error instanceof Error ? error.message.split("\n").join("\n     ") : String(error)}`,
    );
  }
}

function summarize(results: CaseResult[]): number {
  const failedMust = results.filter((result) => !result.passed && result.requirement === "MUST");
  const failedShould = results.filter(
    (result) => !result.passed && result.requirement === "SHOULD",
  );
  const passed = results.length - failedMust.length - failedShould.length;
  console.log(
    `\n${passed} passed, ${failedMust.length} MUST failed, ${failedShould.length} SHOULD failed`,
  );
  return failedMust.length > 0 ? 1 : 0;
}

async function serve(listen: string[]): Promise<void> {
  const node = await createRpcNode({
    ...(listen.length > 0 ? { listen } : {}),
    services: { rpc: rpcServer({ routes: conformanceRoutes }) },
  });
  for (const address of node.getMultiaddrs()) {
    console.log(address.toString());
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await node.stop();
}

async function checkServer(
  address: string,
  readMaxBytes: number,
  writeMaxBytes: number,
): Promise<number> {
  const target = multiaddr(address);
  const node = await createRpcNode({ listen: [] });
  try {
    await node.dial(target, { signal: AbortSignal.timeout(10_000) });
    const results = await runCases(
      SERVER_CASES,
      (signal) => ({
        node,
        peer: [target],
        signal,
        readMaxBytes,
        writeMaxBytes,
        resetMayLookClean: address.includes("/quic"),
      }),
      report,
    );
    return summarize(results);
  } finally {
    await node.stop();
  }
}

async function checkClient(): Promise<number> {
  const harness = await startClientHarness(["/ip4/127.0.0.1/tcp/0"]);
  try {
    return summarize(await runCases(CLIENT_CASES, (signal) => harness.context(signal), report));
  } finally {
    await harness.stop();
  }
}

/** A byte count given as `name <n>` (the reference default when absent); undefined when invalid. */
function byteOption(args: string[], name: string): number | undefined {
  const at = args.indexOf(name);
  const value = at === -1 ? DEFAULT_MAX_MESSAGE_BYTES : Number(args[at + 1]);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

async function main(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first === "--serve") {
    await serve(rest);
    return 0;
  }
  if (first === "--client") {
    return checkClient();
  }
  if (first === undefined || first.startsWith("-")) {
    console.error(USAGE);
    return 2;
  }
  const readMaxBytes = byteOption(rest, "--read-max-bytes");
  const writeMaxBytes = byteOption(rest, "--write-max-bytes");
  if (readMaxBytes === undefined || writeMaxBytes === undefined) {
    console.error(USAGE);
    return 2;
  }
  return checkServer(first, readMaxBytes, writeMaxBytes);
}

process.exitCode = await main(process.argv.slice(2));
