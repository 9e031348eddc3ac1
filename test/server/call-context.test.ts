import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createContextValues } from "@connectrpc/connect";
import { BenchService } from "../../gen/p2prpc/bench/v1/bench_pb.ts";
import { CallControl } from "../../src/call-control.ts";
import { createCallContext } from "../../src/server/call-context.ts";

function callContext(init: { requestHeader?: Headers; timeoutMs?: number } = {}) {
  const control = new CallControl();
  const call = createCallContext({
    method: BenchService.method.unary,
    url: "/p2prpc/p2prpc.bench.v1.BenchService/Unary/1.0.0#1",
    requestHeader: init.requestHeader,
    timeoutMs: init.timeoutMs,
    values: createContextValues(),
    control,
  });
  return { control, call };
}

describe("createCallContext", () => {
  it("describes the call as Connect's context does", () => {
    const { call } = callContext({ timeoutMs: 60_000 });
    const { context } = call;
    assert.equal(context.method, BenchService.method.unary);
    assert.equal(context.service, BenchService);
    assert.equal(context.requestMethod, "POST");
    assert.equal(context.protocolName, "p2prpc");
    const left = context.timeoutMs();
    assert.ok(left !== undefined && left > 59_000 && left <= 60_000, `timeoutMs() = ${left}`);
    assert.equal(callContext().call.context.timeoutMs(), undefined);
  });

  it("makes response metadata only when the handler touches it", () => {
    const { call } = callContext();
    assert.equal(call.responseHeader(), undefined);
    assert.equal(call.responseTrailer(), undefined);
    call.context.responseHeader.set("x-a", "1");
    call.context.responseTrailer.set("x-b", "2");
    assert.equal(call.responseHeader()?.get("x-a"), "1");
    assert.equal(call.responseTrailer()?.get("x-b"), "2");
    assert.equal(call.context.responseHeader, call.responseHeader(), "one object, not a copy");
  });

  it("gives the request metadata, or an empty header when there was none", () => {
    const header = new Headers({ "x-request": "yes" });
    assert.equal(callContext({ requestHeader: header }).call.context.requestHeader, header);
    const empty = callContext().call.context.requestHeader;
    assert.deepEqual([...empty.keys()], []);
  });

  it("hands out the call's signal, aborted when the call is", () => {
    const { call, control } = callContext();
    const { signal } = call.context;
    assert.equal(signal.aborted, false);
    control.abort(new Error("ended"));
    assert.equal(signal.aborted, true);
    assert.equal((call.context.signal.reason as Error).message, "ended");
  });

  it("survives being copied the way Connect's interceptor plumbing copies it", () => {
    const { call, control } = callContext({ requestHeader: new Headers({ "x-k": "v" }) });
    const copy = { ...call.context };
    assert.equal(copy.requestHeader.get("x-k"), "v");
    copy.responseHeader.set("x-from-copy", "1");
    assert.equal(call.responseHeader()?.get("x-from-copy"), "1");
    control.abort(new Error("ended"));
    assert.equal(copy.signal.aborted, true);
    assert.equal(copy.method, BenchService.method.unary);
  });
});
