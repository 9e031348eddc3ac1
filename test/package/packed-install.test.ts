// SLOW (about a minute; its own 5-minute timeout): the package as users get
// it. Packs this repository (prepack builds dist/), installs the tarball into
// a new project in a temp dir, outside the repository (npm install
// --prefer-offline: from the npm cache when it holds the versions), follows
// docs/GETTING-STARTED.md there with the files it shows (generate, typecheck
// against the shipped types, serve, call between two processes), and runs
// the installed `p2prpc` command against that server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, it } from "vitest";
import { runCli, startServer } from "../helpers/run-cli.ts";

const root = new URL("../..", import.meta.url).pathname;
const run = promisify(execFile);
const SLOW_TEST_TIMEOUT_MS = 300_000;

/** Node ≥ 22 (the one running the tests) first on PATH; no npm_* variables of the outer npm. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith("npm_")) {
      env[key] = value;
    }
  }
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  return env;
}

/** The files docs/GETTING-STARTED.md shows, from its fences with a file name (```ts server.ts). */
async function filesOfGettingStarted(): Promise<Map<string, string>> {
  const text = await readFile(join(root, "docs", "GETTING-STARTED.md"), "utf8");
  const files = new Map<string, string>();
  for (const match of text.matchAll(/^```\w+ (\S+)\n([\s\S]*?)^```$/gm)) {
    files.set(match[1] as string, match[2] as string);
  }
  return files;
}

describe("the packed package (slow)", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("installs from its tarball into a new project, typechecks, serves, calls, and runs its CLI", {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, async () => {
    const env = cleanEnv();
    const npm = (args: string[], cwd: string) =>
      run("npm", [...args, "--no-audit", "--no-fund"], {
        cwd,
        env,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 240_000,
      });

    // 1. Pack: prepack must build dist/ (a fresh clone has none).
    const out = await mkdtemp(join(tmpdir(), "p2prpc-pack-"));
    dirs.push(out);
    const packStartedMs = Date.now();
    await npm(["pack", "--pack-destination", out], root);
    const built = await stat(join(root, "dist", "src", "index.js"));
    assert.ok(built.mtimeMs >= packStartedMs - 1000, "npm pack rebuilt dist/");
    const [tarball] = (await readdir(out)).filter((name) => name.endsWith(".tgz"));
    assert.ok(tarball, "npm pack made a tarball");

    // 2. A new project, as docs/GETTING-STARTED.md sets one up.
    const app = await mkdtemp(join(tmpdir(), "p2prpc-app-"));
    dirs.push(app);
    await writeFile(
      join(app, "package.json"),
      JSON.stringify({ name: "hello-p2p", private: true, type: "module" }),
    );
    await npm(
      [
        "install",
        "--prefer-offline",
        join(out, tarball),
        "@connectrpc/connect@^2.2.0",
        "@bufbuild/protobuf@^2.17.0",
      ],
      app,
    );
    await npm(
      [
        "install",
        "--prefer-offline",
        "--save-dev",
        "typescript@^7.0.2",
        "@types/node@^24.0.0",
        "@bufbuild/buf@^1.75.0",
        "@bufbuild/protoc-gen-es@^2.17.0",
      ],
      app,
    );
    const files = await filesOfGettingStarted();
    assert.deepEqual([...files.keys()].sort(), [
      "buf.gen.yaml",
      "client.ts",
      "proto/hello/v1/hello.proto",
      "server.ts",
      "tsconfig.json",
    ]);
    for (const [name, content] of files) {
      await mkdir(dirname(join(app, name)), { recursive: true });
      await writeFile(join(app, name), content);
    }
    await run("npx", ["buf", "generate"], { cwd: app, env });
    await stat(join(app, "gen", "hello", "v1", "hello_pb.ts"));
    // Against the shipped .d.ts files: a type error in server.ts or client.ts fails here.
    await run("npx", ["tsc", "-p", "."], { cwd: app, env });

    // 3. Serve and call between two processes, with the package from node_modules.
    const server = await startServer([process.execPath, "server.ts"], { cwd: app, env });
    try {
      const [address] = server.addresses;
      assert.ok(address?.includes("/p2p/"));
      const client = await runCli([address], {
        command: [process.execPath, "client.ts"],
        cwd: app,
        env,
      });
      assert.equal(client.code, 0, client.stderr);
      assert.match(client.stdout, /^Hello, Ada! You are 12D3KooW\w+\.\n$/);

      // 4. The installed CLI, through reflection.
      const bin = [join(app, "node_modules", ".bin", "p2prpc")];
      const list = await runCli(["list", address], { command: bin, cwd: app, env });
      assert.equal(list.code, 0, list.stderr);
      assert.ok(list.stdout.split("\n").includes("hello.v1.HelloService"), list.stdout);
      const call = await runCli(
        ["call", address, "hello.v1.HelloService/SayHello", '{"name":"Grace"}'],
        { command: bin, cwd: app, env },
      );
      assert.equal(call.code, 0, call.stderr);
      assert.match(call.stdout, /^\{"message":"Hello, Grace! You are 12D3KooW\w+\."\}\n$/);
      const health = await runCli(["health", address], { command: bin, cwd: app, env });
      assert.equal(health.stdout, "SERVING\n");
    } finally {
      await server.stop();
    }
  });
});
