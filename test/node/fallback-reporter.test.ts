import assert from "node:assert/strict";
import { describe, it } from "vitest";
import {
  fallbackReporter,
  loggerOf,
  WRAPPER_LOG_COMPONENT,
} from "../../src/node/fallback-reporter.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";

describe("fallbackReporter", () => {
  it("logs the first fallback to p2prpc:wrappers and drops the rest", () => {
    const log = captureWrapperLog();
    const report = fallbackReporter("someWrapper", log.logger);
    report("first reason");
    report("second reason");
    assert.deepEqual(log.lines, [
      ["%s falls back to libp2p's own behaviour: %s", "someWrapper", "first reason"],
    ]);
    assert.equal(WRAPPER_LOG_COMPONENT, "p2prpc:wrappers");
  });

  it("gives each reporter, one per node, its own line", () => {
    const log = captureWrapperLog();
    fallbackReporter("someWrapper", log.logger)("on one node");
    fallbackReporter("someWrapper", log.logger)("on another");
    assert.equal(log.linesOf("someWrapper").length, 2);
  });

  it("finds a factory's logger only where there is one", () => {
    const log = captureWrapperLog();
    assert.equal(loggerOf({ logger: log.logger }), log.logger);
    assert.equal(loggerOf({}), undefined);
    assert.equal(loggerOf(undefined), undefined);
    assert.equal(loggerOf({ logger: {} }), undefined);
  });
});
