import assert from "node:assert/strict";
import { describe, it } from "vitest";
import * as fromSource from "../src/index.ts";

describe("the package's own name", () => {
  it('resolves to src/ in tests (the "p2prpc-source" export condition)', async () => {
    // Examples and docs import "p2prpc"; under vitest that must be the source, not dist/.
    const fromPackage = await import("p2prpc");
    assert.equal(fromPackage, fromSource);
  });
});
