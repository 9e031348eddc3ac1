// Runs examples/price-ticker: a server, a slow subscriber and a fast one, as processes.
import assert from "node:assert/strict";
import { afterAll, describe, it } from "vitest";
import { nextLine, runCli, type ServerProcess, startServer } from "../helpers/run-cli.ts";

const dir = new URL("../../examples/price-ticker/", import.meta.url).pathname;
const node = (file: string, ...args: string[]): string[] => [
  process.execPath,
  "--conditions=p2prpc-source",
  `${dir}${file}`,
  ...args,
];
const INTERVAL_MS = 50;
const FAST_COUNT = 40;
// 512 KiB of book per price, 10 MB/s: the slow subscriber's stream (whose
// flow-control windows hold up to about 17 MiB) fills within seconds, so its
// handler must wait, and skips prices.
const BOOK = ["--book-bytes", String(512 * 1024)];

interface Tick {
  seq: number;
  price: number;
  atMs: number;
}

describe("examples/price-ticker", { timeout: 60_000 }, () => {
  const processes: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
  });

  it("a slow subscriber does not slow a fast one down", async () => {
    const server = await startServer(node("server.ts", "--interval-ms", String(INTERVAL_MS)));
    processes.push(server);
    const [address] = server.addresses;
    assert.ok(address);
    // The slow one takes 100 ms per price (the source makes one every 50 ms); it is subscribed (printed a price) before the fast one starts.
    const slow = await startServer(
      node("subscriber.ts", address, "--count", "1000", "--delay-ms", "100", ...BOOK),
      { ready: (line) => line.startsWith("{") },
    );
    processes.push(slow);
    // Once its stream is full, the slow one skips prices (a gap in seq), so
    // its handler is waiting on flow control from here on.
    const seen: number[] = [];
    while (!seen.some((seq, i) => i > 0 && seq > (seen[i - 1] as number) + 1)) {
      seen.push((JSON.parse(await nextLine(slow.lines)) as Tick).seq);
      assert.ok(seen.length < 150, `no gap in the slow subscriber's prices: ${seen.join(",")}`);
    }
    const fast = await runCli([], {
      command: node("subscriber.ts", address, "--count", String(FAST_COUNT), ...BOOK),
      limitMs: 40_000,
    });
    assert.equal(fast.code, 0, fast.stderr);
    const ticks = fast.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Tick);
    assert.equal(ticks.length, FAST_COUNT);
    const first = ticks[0] as Tick;
    const last = ticks.at(-1) as Tick;
    assert.deepEqual(
      ticks.map((tick) => tick.seq),
      ticks.map((_, i) => first.seq + i),
      "every price, no gap",
    );
    // At the source's pace (40 × 50 ms = 2 s), not held back by the slow one.
    const spanMs = last.atMs - first.atMs;
    assert.ok(spanMs < 8000, `the fast subscriber took ${spanMs} ms for ${FAST_COUNT} prices`);
    // The slow one is still there, at its own pace.
    assert.ok(JSON.parse(await nextLine(slow.lines)));
  });
});
