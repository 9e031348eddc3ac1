import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A script of test/fixtures/ running in its own process. */
export interface Fixture {
  readonly child: ChildProcess;
  /** Every line it printed so far, stdout and stderr. */
  readonly lines: string[];
  /** Resolves with the first line that matches `pattern`, printed or to come. */
  line(pattern: RegExp): Promise<string>;
  /** Writes `line` and a newline to its stdin. */
  send(line: string): void;
  /** Resolves with its exit code once it exited. */
  exited(): Promise<number | null>;
  /** SIGKILLs it (stopped or not) and waits for it to go; nothing if it already went. */
  kill(): Promise<void>;
}

/**
 * Runs `node --conditions=p2prpc-source test/fixtures/<script> ...args` on
 * the tests' Node, after `prefix` when given (e.g. `ip netns exec <ns>`, to
 * run it in a network namespace). Kill every fixture in `afterEach`/`afterAll`: a test that
 * fails must not leave a process behind.
 */
export function spawnFixture(script: string, args: string[], prefix: string[] = []): Fixture {
  const [command, ...commandArgs] = [
    ...prefix,
    process.execPath,
    "--conditions=p2prpc-source",
    `test/fixtures/${script}`,
    ...args,
  ];
  const child = spawn(command as string, commandArgs, {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const exitedNow = once(child, "exit").then(([code]) => code as number | null);
  const onData = (() => {
    let rest = "";
    return (chunk: Buffer): void => {
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        for (const waiter of waiters) {
          if (waiter.pattern.test(line)) {
            waiters.delete(waiter);
            waiter.resolve(line);
          }
        }
      }
    };
  })();
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return {
    child,
    lines,
    line(pattern) {
      const found = lines.find((line) => pattern.test(line));
      if (found !== undefined) {
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        waiters.add({ pattern, resolve });
        exitedNow.then((code) =>
          reject(
            new Error(
              `${script} exited (${code}) before printing ${pattern}:\n${lines.join("\n")}`,
            ),
          ),
        );
      });
    },
    send(line) {
      child.stdin?.write(`${line}\n`);
    },
    exited: () => exitedNow,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
      }
      await exitedNow;
    },
  };
}
