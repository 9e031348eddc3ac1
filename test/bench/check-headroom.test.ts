import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { checkHeadroom } from "../../bench/scale/check-headroom.ts";
import type { IdleSample, SideMemory } from "../../bench/scale/step-record.ts";

const MiB = 2 ** 20;

function memory(rssMiB: number, openFiles: number): SideMemory {
  const rss = rssMiB * MiB;
  return {
    rss,
    rssFullGc: rss,
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
    arrayBuffers: 0,
    native: rss,
    rssLive: rss,
    openFiles,
  };
}

function sample(
  server: { rssMiB: number; files: number },
  clients: { rssMiB: number; files: number },
): IdleSample {
  return {
    server: { idleCpuPercent: 0, memory: memory(server.rssMiB, server.files) },
    clients: { idleCpuPercent: 0, memory: memory(clients.rssMiB, clients.files) },
    otherCpuPercent: 0,
    idleWindowMs: 1000,
    loadAverage: [0, 0, 0],
  };
}

// No peers: 30 files in the server, 4 × 30 in the clients.
const BASELINE = sample({ rssMiB: 100, files: 30 }, { rssMiB: 400, files: 120 });
// 1,000 peers: one file per peer in the server, three per peer in the clients, 1 MiB per peer in all.
const AT_1000 = sample({ rssMiB: 400, files: 1030 }, { rssMiB: 1100, files: 3120 });

describe("the scale curve's headroom check", () => {
  it("lets a count through when the linear prediction fits every limit", () => {
    const reason = checkHeadroom({
      next: 5000,
      held: 1000,
      baseline: BASELINE,
      current: AT_1000,
      clients: 4,
      maxOpenFiles: 20_000,
    });
    assert.equal(reason, undefined);
  });

  it("stops short of the open-file limit, predicted from the files per peer so far", () => {
    // 5,000 peers: ~3,750 files per client process; 4,000 allowed, 90% of it is 3,600.
    const reason = checkHeadroom({
      next: 5000,
      held: 1000,
      baseline: BASELINE,
      current: AT_1000,
      clients: 4,
      maxOpenFiles: 4000,
    });
    assert.match(
      reason ?? "",
      /^open files: 5000 peers would need about 5030 in the server and 3780 per client/,
    );
  });

  it("stops when the client connections would need more local ports than there are", () => {
    const reason = checkHeadroom({
      next: 1_000_000,
      held: 0,
      baseline: BASELINE,
      current: BASELINE,
      clients: 4,
      maxOpenFiles: undefined,
    });
    assert.match(reason ?? "", /^local ports: /);
  });

  it("stops when the memory per peer so far would not fit in the free memory", () => {
    // 1 GiB per peer in the server: 19,000 more would need about 19 TiB.
    const reason = checkHeadroom({
      next: 20_000,
      held: 1000,
      baseline: BASELINE,
      current: sample({ rssMiB: 100 + 1000 * 1024, files: 1030 }, { rssMiB: 400, files: 3120 }),
      clients: 4,
      maxOpenFiles: undefined,
    });
    assert.match(reason ?? "", /^memory: 19000 more peers would need about /);
  });
});
