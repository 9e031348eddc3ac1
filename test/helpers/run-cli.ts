import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

const root = new URL("../..", import.meta.url).pathname;

/** The CLI's entry, run from source. */
export const CLI = `${root}src/cli/p2prpc.ts`;

/** What a finished CLI process left. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the process's stdin, which is then closed. */
  readonly stdin?: string;
  /** The process is killed after this long (a failed test, not a hang). @default 20000 */
  readonly limitMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The command to run instead of `node --conditions=p2prpc-source src/cli/p2prpc.ts`. */
  readonly command?: readonly string[];
}

/** Runs the CLI with `args` to the end, stdout and stderr piped. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const [file, ...pre] = options.command ?? [process.execPath, "--conditions=p2prpc-source", CLI];
  const child = spawn(file as string, [...pre, ...args], {
    cwd: options.cwd ?? root,
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(options.stdin ?? "");
  const limitMs = options.limitMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`p2prpc ${args.join(" ")} still running after ${limitMs} ms\n${stderr}`));
    }, limitMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A server process that printed `PEER`, `LISTEN` lines and `READY`. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly peerId: string;
  readonly addresses: string[];
  /** Lines the process printed after READY, as they come. */
  readonly lines: AsyncIterator<string>;
  stop(): Promise<void>;
}

/**
 * Spawns `command` (stdin piped when `stdin` is set) (e.g. `[process.execPath, "--conditions=p2prpc-source", CLI, "serve", …]`)
 * and waits for its `READY` line, within `limitMs`.
 */
export async function startServer(
  command: readonly string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    limitMs?: number;
    stdin?: boolean;
    /** The line that means ready. @default line === "READY" */
    ready?: (line: string) => boolean;
  } = {},
): Promise<ServerProcess> {
  const [file, ...args] = command;
  const child = spawn(file as string, args, {
    cwd: options.cwd ?? root,
    env: options.env ?? process.env,
    stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[
    Symbol.asyncIterator
  ]();
  let peerId = "";
  const addresses: string[] = [];
  const limitMs = options.limitMs ?? 20_000;
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  try {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) {
        throw new Error(
          `${command.join(" ")} ended before READY (code ${child.exitCode})\n${stderr}`,
        );
      }
      if (value.startsWith("PEER ")) {
        peerId = value.slice(5);
      } else if (value.startsWith("LISTEN ")) {
        addresses.push(value.slice(7));
      } else if ((options.ready ?? ((line: string) => line === "READY"))(value)) {
        break;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    peerId,
    addresses,
    lines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(kill);
      }
    },
  };
}

/** The next line `lines` gives, failing after `limitMs` (the process ended or went quiet). */
export async function nextLine(lines: AsyncIterator<string>, limitMs = 10_000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no line within ${limitMs} ms`)), limitMs);
  });
  try {
    const next = await Promise.race([lines.next(), timeout]);
    if (next.done) {
      throw new Error("the process ended");
    }
    return next.value;
  } finally {
    clearTimeout(timer);
  }
}
