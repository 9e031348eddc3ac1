import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { splitEvenly } from "../../bench/scale/run-scale.ts";
import { DEFAULT_SCALE_OPTIONS, parseScaleOptions } from "../../bench/scale/scale-options.ts";

describe("bench:scale options", () => {
  it("defaults to the issue's curve over four client processes", () => {
    const options = parseScaleOptions([]);
    assert.deepEqual(options.peers, [10, 100, 1000, 5000]);
    assert.equal(options.clients, 4);
    assert.equal(options.idleMs, 30_000);
    assert.equal(options.profileIdle, false);
    assert.deepEqual(options, DEFAULT_SCALE_OPTIONS);
  });

  it("reads every flag", () => {
    const options = parseScaleOptions([
      "--peers=2,4",
      "--clients=1",
      "--calls=20",
      "--in-flight=2",
      "--settle-ms=0",
      "--idle-ms=500",
      "--out=/tmp/x",
      "--profile-idle",
    ]);
    assert.deepEqual(options.peers, [2, 4]);
    assert.equal(options.clients, 1);
    assert.equal(options.calls, 20);
    assert.equal(options.inFlight, 2);
    assert.equal(options.settleMs, 0);
    assert.equal(options.idleMs, 500);
    assert.equal(options.outDir, "/tmp/x");
    assert.equal(options.profileIdle, true);
  });

  it("refuses counts that do not increase, bad numbers and unknown flags", () => {
    assert.throws(() => parseScaleOptions(["--peers=10,10"]), /increasing/);
    assert.throws(() => parseScaleOptions(["--peers=100,10"]), /increasing/);
    assert.throws(() => parseScaleOptions(["--peers=0"]), /whole number/);
    assert.throws(() => parseScaleOptions(["--clients=0"]), /--clients/);
    assert.throws(() => parseScaleOptions(["--idle-ms=1.5"]), /--idle-ms/);
    assert.throws(() => parseScaleOptions(["--peer=10"]), /unknown argument/);
  });

  it("splits a count over the client processes as evenly as whole peers allow", () => {
    assert.deepEqual(splitEvenly(10, 4), [3, 3, 2, 2]);
    assert.deepEqual(splitEvenly(5000, 4), [1250, 1250, 1250, 1250]);
    assert.deepEqual(splitEvenly(1, 2), [1, 0]);
  });
});
