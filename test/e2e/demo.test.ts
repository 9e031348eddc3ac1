import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("the README's demo (npm run demo)", () => {
  it("runs two peer processes through every kind of call and ends cleanly", {
    timeout: 60_000,
  }, async () => {
    const child = spawn(
      process.execPath,
      ["--conditions=p2prpc-source", "examples/demo/run-demo.ts"],
      // Killed (with the peers it started) if it hangs past the test's own timeout.
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], signal: AbortSignal.timeout(55_000) },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", () => {}); // an abort is reported by the exit code below
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0, output);
    assert.match(output, /client over TCP\s*: ok/);
    assert.match(output, /client over QUIC\s*: ok/);
    assert.match(output, /client over a pool of three\s*: ok/);
    assert.match(output, /\[pool\] \[client\] every call succeeded/);
    assert.match(
      output,
      /errors: Unavailable \d+/,
      "the stopped server's failed attempt shows in the stats",
    );
    assert.match(output, /server\s*: exited with code 0/);
  });
});
