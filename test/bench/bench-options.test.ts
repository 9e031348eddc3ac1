import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { parseBenchOptions } from "../../bench/bench-options.ts";

describe("npm run bench's options", () => {
  it("leaves the baseline out unless --baseline names a commit", () => {
    assert.ok(!parseBenchOptions([]).systems.includes("p2prpc-tcp-baseline"));
    assert.throws(
      () => parseBenchOptions(["--only=p2prpc-tcp,p2prpc-tcp-baseline"]),
      /runs only with --baseline/,
    );
    assert.throws(() => parseBenchOptions(["--baseline="]), /needs a git ref/);
  });

  it("--baseline adds p2prpc TCP at that commit beside the chosen systems", () => {
    const options = parseBenchOptions(["--only=p2prpc-tcp,grpc-js", "--baseline=main~1"]);
    assert.equal(options.baseline, "main~1");
    assert.deepEqual(options.systems, ["p2prpc-tcp", "p2prpc-tcp-baseline", "grpc-js"]);
  });

  it("runs the baseline client against today's server in place of the whole baseline when asked", () => {
    assert.ok(!parseBenchOptions([]).systems.includes("p2prpc-tcp-baseline-client"));
    assert.throws(
      () => parseBenchOptions(["--only=p2prpc-tcp,p2prpc-tcp-baseline-client"]),
      /p2prpc-tcp-baseline-client runs only with --baseline/,
    );
    const options = parseBenchOptions([
      "--only=p2prpc-tcp,p2prpc-tcp-baseline-client",
      "--baseline=main~1",
    ]);
    assert.deepEqual(options.systems, ["p2prpc-tcp", "p2prpc-tcp-baseline-client"]);
  });

  it("measures cold client processes in quick runs, and in full runs only when asked", () => {
    assert.equal(parseBenchOptions([]).cold, false);
    assert.equal(parseBenchOptions(["--quick"]).cold, true);
    assert.equal(parseBenchOptions(["--cold"]).cold, true);
    assert.equal(parseBenchOptions(["--quick", "--no-cold"]).cold, false);
    // The last of --cold and --no-cold wins.
    assert.equal(parseBenchOptions(["--cold", "--no-cold"]).cold, false);
    assert.equal(parseBenchOptions(["--no-cold", "--cold"]).cold, true);
    assert.throws(() => parseBenchOptions(["--cold=yes"]), /--cold takes no value/);
  });

  it("keeps the other options as they were beside --cold", () => {
    const options = parseBenchOptions([
      "--only=p2prpc-tcp,grpc-js",
      "--workloads=b,a",
      "--rounds=1",
      "--cold",
    ]);
    assert.deepEqual(options.systems, ["p2prpc-tcp", "grpc-js"]);
    assert.deepEqual(options.workloads, ["a", "b"]);
    assert.equal(options.rounds, 1);
    assert.equal(options.warmupMs, 500);
  });
});
