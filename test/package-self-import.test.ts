import assert from "node:assert/strict";
import { describe, it } from "vitest";
import * as fromSource from "../src/index.ts";
import * as libp2pFromSource from "../src/libp2p.ts";
import * as wireFromSource from "../src/wire.ts";

describe("the package's own name", () => {
  it('resolves to src/ in tests (the "p2prpc-source" export condition)', async () => {
    // Examples and docs import "p2prpc"; under vitest that must be the source, not dist/.
    const fromPackage = await import("p2prpc");
    assert.equal(fromPackage, fromSource);
  });

  it("has subpaths for integrators: p2prpc/libp2p (the node speed-ups) and p2prpc/wire (the codec)", async () => {
    assert.equal(await import("p2prpc/libp2p"), libp2pFromSource);
    assert.equal(await import("p2prpc/wire"), wireFromSource);
    assert.equal(typeof libp2pFromSource.corkTcpWrites, "function");
    assert.equal(typeof wireFromSource.FrameDecoder, "function");
  });

  it("keeps the root export to what an application needs: no libp2p wrapper, no codec", () => {
    const root = new Set(Object.keys(fromSource));
    for (const name of [...Object.keys(libp2pFromSource), ...Object.keys(wireFromSource)]) {
      assert.ok(!root.has(name), `${name} is exported from the root`);
    }
    for (const name of ["createLibp2pTransport", "createRpcNode", "rpcServer", "getRemotePeer"]) {
      assert.ok(root.has(name), `${name} is missing from the root`);
    }
  });
});
