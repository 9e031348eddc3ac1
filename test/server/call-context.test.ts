import assert from "node:assert/strict";
import { createContextValues } from "@connectrpc/connect";
import { describe, it } from "vitest";
import { BenchService } from "../../gen/p2prpc/bench/v1/bench_pb.ts";
import { CallControl } from "../../src/call-control.ts";
import { CallContext } from "../../src/server/call-context.ts";

function callContext(init: { requestHeader?: Headers; timeoutMs?: number } = {}) {
  const control = new CallControl();
  const context = new CallContext({
    method: BenchService.method.unary,
    url: "/p2prpc/p2prpc.bench.v1.BenchService/Unary/1.0.0#1",
    requestHeader: init.requestHeader,
    timeoutMs: init.timeoutMs,
    values: createContextValues(),
    control,
  });
  return { control, context };
}

describe("CallContext", () => {
  it("describes the call as Connect's context does", () => {
    const { context } = callContext({ timeoutMs: 60_000 });
    assert.equal(context.method, BenchService.method.unary);
    assert.equal(context.service, BenchService);
    assert.equal(context.requestMethod, "POST");
    assert.equal(context.protocolName, "p2prpc");
    const left = context.timeoutMs();
    assert.ok(left !== undefined && left > 59_000 && left <= 60_000, `timeoutMs() = ${left}`);
    assert.equal(callContext().context.timeoutMs(), undefined);
  });

  it("makes response metadata only when the handler touches it", () => {
    const { context } = callContext();
    assert.equal(context.responseHeaderIfUsed(), undefined);
    assert.equal(context.responseTrailerIfUsed(), undefined);
    context.responseHeader.set("x-a", "1");
    context.responseTrailer.set("x-b", "2");
    assert.equal(context.responseHeaderIfUsed()?.get("x-a"), "1");
    assert.equal(context.responseTrailerIfUsed()?.get("x-b"), "2");
    assert.equal(context.responseHeader, context.responseHeaderIfUsed(), "one object, not a copy");
  });

  it("gives the request metadata, or an empty header when there was none", () => {
    const header = new Headers({ "x-request": "yes" });
    assert.equal(callContext({ requestHeader: header }).context.requestHeader, header);
    const empty = callContext().context.requestHeader;
    assert.deepEqual([...empty.keys()], []);
  });

  it("hands out the call's signal, aborted when the call is", () => {
    const { context, control } = callContext();
    const { signal } = context;
    assert.equal(signal.aborted, false);
    control.abort(new Error("ended"));
    assert.equal(signal.aborted, true);
    assert.equal((context.signal.reason as Error).message, "ended");
  });

  it("has a copyable form that survives being copied the way Connect's interceptor plumbing copies it", () => {
    const { context, control } = callContext({ requestHeader: new Headers({ "x-k": "v" }) });
    const copy = Object.assign({}, { ...context.copyable() });
    assert.equal(copy.requestHeader.get("x-k"), "v");
    copy.responseHeader.set("x-from-copy", "1");
    copy.responseTrailer.set("x-trailer-from-copy", "2");
    assert.equal(context.responseHeaderIfUsed()?.get("x-from-copy"), "1");
    assert.equal(context.responseTrailerIfUsed()?.get("x-trailer-from-copy"), "2");
    assert.equal(copy.timeoutMs(), undefined);
    control.abort(new Error("ended"));
    assert.equal(copy.signal.aborted, true);
    assert.equal(copy.method, BenchService.method.unary);
    assert.equal(copy.url, context.url);
  });

  it("keeps its lazy parts off each object: a spread copy has only the plain ones", () => {
    const { context } = callContext();
    const copy: Record<string, unknown> = { ...context };
    assert.equal(copy.method, BenchService.method.unary);
    assert.equal("signal" in copy, false);
    assert.equal("responseHeader" in copy, false);
    assert.equal(context.responseHeaderIfUsed(), undefined, "spreading made no headers");
  });
});
