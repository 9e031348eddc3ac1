import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { SCALE_MEASURES } from "../../bench/scale/scale-measures.ts";
import type { StepRecord } from "../../bench/scale/step-record.ts";
import { type CliResult, runCli } from "../helpers/run-cli.ts";

/** The whole tiny run: three processes, two machine checks (~2 s each), two short steps. */
const RUN_LIMIT_MS = 90_000;

describe("npm run bench:scale, end to end at tiny counts", () => {
  let dir: string;
  let result: CliResult;
  let json: {
    complete: boolean;
    steps: StepRecord[];
    stopped: unknown;
    largestHeld: number;
    maxOpenFiles: number | undefined;
    verdicts: Record<string, { verdict: string; points: { peers: number }[] }>;
    idleCpuTarget: { verdict: string };
    machine: { verdict: { line: string } };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p2prpc-scale-test-"));
    result = await runCli(
      [
        "--peers=2,4",
        "--clients=2",
        "--settle-ms=0",
        "--idle-ms=300",
        "--calls=20",
        "--in-flight=2",
        "--call-timeout-ms=5000",
        "--connect-timeout-ms=10000",
        `--out=${dir}`,
      ],
      { command: [process.execPath, "bench/scale.ts"], limitMs: RUN_LIMIT_MS },
    );
    const files = await readdir(dir);
    const base = files.find((file) => file.endsWith(".json"))?.slice(0, -".json".length);
    if (base !== undefined) {
      json = JSON.parse(await readFile(join(dir, `${base}.json`), "utf8"));
    }
  }, RUN_LIMIT_MS + 10_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("exits 0 and writes partial-scale-<date>.json, .md and .svg", async () => {
    assert.equal(result.code, 0, result.stderr);
    const files = (await readdir(dir)).sort();
    assert.equal(files.length, 3, files.join(", "));
    for (const [index, extension] of ["json", "md", "svg"].entries()) {
      assert.match(
        files[index] as string,
        new RegExp(`^partial-scale-\\d{4}-\\d{2}-\\d{2}\\.${extension}$`),
      );
    }
    assert.equal(json.complete, false);
  });

  it("holds every peer of every step, and calls from them", () => {
    assert.equal(json.stopped, undefined);
    assert.deepEqual(
      json.steps.map((step) => [
        step.peers,
        step.newPeers,
        step.held,
        step.clientsHeld,
        step.connectFailures,
      ]),
      [
        [2, 2, 2, 2, 0],
        [4, 2, 4, 4, 0],
      ],
    );
    assert.equal(json.largestHeld, 4);
    for (const step of json.steps) {
      assert.equal(step.calls.count, 20);
      assert.equal(step.calls.failures, 0);
      assert.equal(step.calls.inFlight, 2);
      assert.ok(step.calls.p50Ms > 0 && step.calls.p99Ms >= step.calls.p50Ms);
      assert.ok(step.connectMs > 0 && step.connectPerSec > 0);
      assert.ok(step.idleWindowMs >= 300, `window ${step.idleWindowMs} ms`);
      assert.ok(step.server.idleCpuPercent >= 0 && step.clients.idleCpuPercent >= 0);
      for (const side of [step.server.memory, step.clients.memory]) {
        assert.ok(side.rss > 0 && side.rssFullGc > 0 && side.rssLive > 0);
        assert.ok(side.heapUsed > 0 && side.heapUsed <= side.heapTotal);
      }
      assert.equal(step.loadAverage.length, 3);
    }
    // Each client node holds at least one open file (its TCP socket) more than none did.
    const [first, second] = json.steps as [StepRecord, StepRecord];
    assert.ok(
      (second.clients.memory.openFiles ?? 0) > (first.clients.memory.openFiles ?? 0),
      "more client peers, more open files",
    );
  });

  it("judges every measure and the idle CPU target, and records the machine", () => {
    assert.deepEqual(
      Object.keys(json.verdicts).sort(),
      SCALE_MEASURES.map((measure) => measure.id).sort(),
    );
    for (const verdict of Object.values(json.verdicts)) {
      assert.ok(["PASS", "MISS", "n/a"].includes(verdict.verdict));
      assert.deepEqual(
        verdict.points.map((point) => point.peers),
        [2, 4],
      );
    }
    assert.equal(json.idleCpuTarget.verdict, "not reached");
    assert.match(json.machine.verdict.line, /^(busy|quiet) machine: /);
  });

  it("renders a table per step and a panel per measure", async () => {
    const files = await readdir(dir);
    const markdown = await readFile(
      join(dir, files.find((f) => f.endsWith(".md")) as string),
      "utf8",
    );
    assert.match(markdown, /\n\| 4 \| 4 \/ 4 \| 2 \| /, "the connect table has a row for 4 peers");
    assert.match(markdown, /## Memory/);
    assert.match(markdown, /## Idle CPU/);
    const svg = await readFile(join(dir, files.find((f) => f.endsWith(".svg")) as string), "utf8");
    assert.ok(svg.startsWith("<svg"));
    for (const measure of SCALE_MEASURES) {
      assert.ok(svg.includes(`>${measure.label}</text>`), measure.label);
    }
  });
});
