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
});
