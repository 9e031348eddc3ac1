import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { describe, it } from "vitest";
import {
  type CpuProfile,
  formatProfileSummary,
  packageOf,
  summarizeProfile,
} from "../../bench/profile-summary.ts";

const ROOT = new URL("../../", import.meta.url);
const fileIn = (path: string): string => new URL(path, ROOT).href;

function frame(id: number, functionName: string, url: string, lineNumber = 0) {
  return { id, callFrame: { functionName, url, lineNumber } };
}

/** Nodes 1–6, and samples whose self times are known. */
const PROFILE: CpuProfile = {
  nodes: [
    frame(1, "(root)", ""),
    frame(2, "(idle)", ""),
    frame(3, "ensureCapacity", fileIn("node_modules/@bufbuild/protobuf/dist/esm/wire/x.js"), 91),
    frame(4, "flush", fileIn("src/wire/frame-writer.ts"), 85),
    frame(5, "(garbage collector)", ""),
    frame(6, "flush", fileIn("src/wire/frame-writer.ts"), 85),
  ],
  // The first sample's delta counts from the profile's start: not counted.
  samples: [4, 3, 3, 4, 2, 5, 6],
  timeDeltas: [5000, 100, 200, 50, 1000, 30, 20],
};

describe("bench profile summary (bench:cpu --profile)", () => {
  it("adds self time by package and by function, idle apart, without the first delta", () => {
    const summary = summarizeProfile(PROFILE);
    assert.equal(summary.idleMicros, 1000);
    assert.equal(summary.busyMicros, 100 + 200 + 50 + 30 + 20);
    assert.deepEqual(summary.byPackage, [
      { name: "@bufbuild/protobuf", micros: 300 },
      { name: "p2prpc", micros: 70 },
      { name: "(garbage collector)", micros: 30 },
    ]);
    // Two nodes of one function and line are one row; V8's entries have no file.
    assert.deepEqual(summary.byFunction.slice(1), [
      { name: "flush src/wire/frame-writer.ts:86", micros: 70 },
      { name: "(garbage collector)", micros: 30 },
    ]);
  });

  it("names packages, the project's own directories, Node's modules and V8's entries", () => {
    assert.equal(
      packageOf(fileIn("node_modules/@libp2p/yamux/dist/src/muxer.js"), "f"),
      "@libp2p/yamux",
    );
    assert.equal(
      packageOf(fileIn("node_modules/uint8arraylist/dist/src/index.js"), "f"),
      "uint8arraylist",
    );
    assert.equal(packageOf(fileIn("gen/p2prpc/wire/v1/wire_pb.ts"), "f"), "p2prpc");
    assert.equal(packageOf(fileIn("bench/systems/grpc-js.ts"), "f"), "bench");
    assert.equal(packageOf("node:internal/streams/writable", "f"), "node:internal/streams");
    assert.equal(packageOf("", "(program)"), "(program)");
    assert.equal(packageOf("", "writev"), "(native)");
    assert.equal(
      packageOf(pathToFileURL("/elsewhere/lib.js").href, "f"),
      "file:///elsewhere/lib.js",
    );
  });

  it("prints µs per unit and each row's share of the busy time", () => {
    const text = formatProfileSummary(summarizeProfile(PROFILE), 10, "call", 2);
    const lines = text.split("\n");
    assert.equal(lines[0], "busy 0 ms, idle 1 ms, over 10 calls: 40.00 µs busy per call");
    assert.equal(lines[2], "   30.00  75.0%  @bufbuild/protobuf");
    assert.equal(lines[3], "    7.00  17.5%  p2prpc");
    assert.equal(lines.length, 2 + 2 + 1 + 2);
  });
});
