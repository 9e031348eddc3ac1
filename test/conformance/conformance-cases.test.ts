import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "vitest";
import { CLIENT_CASES } from "../../conformance/client-cases.ts";
import { SERVER_CASES } from "../../conformance/server-cases.ts";

const spec = await readFile(new URL("../../docs/PROTOCOL.md", import.meta.url), "utf8");
/** "5.2", "14", … : the numbered headings of PROTOCOL.md. */
const sections = new Set(
  [...spec.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((match) => match[1] as string),
);

describe("the conformance suite's rows", () => {
  it("have unique ids, named after the side they check", () => {
    const ids = [...SERVER_CASES, ...CLIENT_CASES].map((row) => row.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(SERVER_CASES.every((row) => /^server\.[a-z0-9-]+$/.test(row.id)));
    assert.ok(CLIENT_CASES.every((row) => /^client\.[a-z0-9-]+$/.test(row.id)));
  });

  it("each cite sections that exist in docs/PROTOCOL.md", () => {
    assert.ok(sections.has("5.2") && sections.has("15"), "the headings were found");
    for (const row of [...SERVER_CASES, ...CLIENT_CASES]) {
      const cited = row.section.split(", ").map((part) => part.replace(/^§/, ""));
      for (const section of cited) {
        assert.ok(sections.has(section), `${row.id} cites §${section}`);
      }
    }
  });
});
