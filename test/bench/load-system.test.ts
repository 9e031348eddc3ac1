import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { SystemId } from "../../bench/system-catalog.ts";
import type { SystemSide } from "../../bench/systems/load-system.ts";

const ROOT = new URL("../..", import.meta.url);
const TODAYS_SRC = new URL("src/", ROOT).href;
/** A baseline's `src/index.ts` with the three functions the benchmark takes, none of them run. */
const STUB_INDEX = [
  "const fail = () => {",
  '  throw new Error("a stub baseline");',
  "};",
  "export const createLibp2pTransport = fail;",
  "export const createRpcNode = fail;",
  "export const rpcServer = fail;",
  "",
].join("\n");

let baselineDir: string;
let baselineSrc: string;

/** The URLs of the modules `loadSystem(system, side)` loads, in a fresh process. */
async function modulesLoaded(system: SystemId, side: SystemSide): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["test/fixtures/loaded-modules.ts", system, side],
    { cwd: ROOT, env: { ...process.env, P2PRPC_BENCH_BASELINE_DIR: baselineDir } },
  );
  return JSON.parse(stdout) as string[];
}

/** How many of `modules` are files under the folder `prefix` (a URL ending in `/`). */
function countUnder(modules: readonly string[], prefix: string): number {
  return modules.filter((url) => url.startsWith(prefix)).length;
}

describe("loadSystem", () => {
  beforeAll(async () => {
    baselineDir = await mkdtemp(join(tmpdir(), "p2prpc-load-system-"));
    await mkdir(join(baselineDir, "src"));
    await writeFile(join(baselineDir, "src", "index.ts"), STUB_INDEX);
    baselineSrc = pathToFileURL(join(baselineDir, "src/")).href;
  });

  afterAll(async () => {
    await rm(baselineDir, { recursive: true, force: true });
  });

  it("loads today's p2prpc and no baseline for p2prpc-tcp", async () => {
    const modules = await modulesLoaded("p2prpc-tcp", "both");
    assert.ok(modules.includes(`${TODAYS_SRC}index.ts`));
    assert.equal(countUnder(modules, baselineSrc), 0);
  });

  it("loads the baseline's p2prpc and nothing of today's src/ for p2prpc-tcp-baseline", async () => {
    const modules = await modulesLoaded("p2prpc-tcp-baseline", "both");
    assert.ok(modules.includes(`${baselineSrc}index.ts`));
    assert.deepEqual(
      modules.filter((url) => url.startsWith(TODAYS_SRC)),
      [],
      "a process with two copies of p2prpc measured the same code 18–39% cheaper",
    );
  });

  it("loads, for p2prpc-tcp-baseline-client, the baseline on the client side, today's on the server side, both for both", async () => {
    const client = await modulesLoaded("p2prpc-tcp-baseline-client", "client");
    assert.ok(client.includes(`${baselineSrc}index.ts`));
    assert.equal(countUnder(client, TODAYS_SRC), 0);
    const server = await modulesLoaded("p2prpc-tcp-baseline-client", "server");
    assert.ok(server.includes(`${TODAYS_SRC}index.ts`));
    assert.equal(countUnder(server, baselineSrc), 0);
    const both = await modulesLoaded("p2prpc-tcp-baseline-client", "both");
    assert.ok(both.includes(`${TODAYS_SRC}index.ts`) && both.includes(`${baselineSrc}index.ts`));
  });
});
