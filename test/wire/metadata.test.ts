import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { describe, it } from "vitest";
import { MetadataEntrySchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { headersToMetadata, metadataToHeaders } from "../../src/wire/metadata.ts";

const entry = (key: string, value: string) => create(MetadataEntrySchema, { key, value });

describe("metadataToHeaders", () => {
  it("keeps a repeated key's values in the order they came, joined by ', '", () => {
    const headers = metadataToHeaders([
      entry("x-token", "tok-2"),
      entry("x-other", "o"),
      entry("x-token", "tok-1"),
    ]);
    assert.equal(headers.get("x-token"), "tok-2, tok-1");
    assert.equal(headers.get("x-other"), "o");
  });

  it("refuses a key with an upper-case letter instead of lower-casing it", () => {
    for (const key of ["X-Token", "x-tokeN", "Z"]) {
      assert.throws(() => metadataToHeaders([entry(key, "v")]), TypeError, key);
    }
    assert.equal(metadataToHeaders([entry("x-0-_.~!", "v")]).get("x-0-_.~!"), "v");
  });

  it("round-trips what headersToMetadata sends (one entry per key)", () => {
    const sent = new Headers([
      ["x-a", "1"],
      ["x-a", "2"],
    ]);
    assert.equal(metadataToHeaders(headersToMetadata(sent)).get("x-a"), "1, 2");
  });
});
