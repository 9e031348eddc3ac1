import { type ChildProcess, type Serializable, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { ChildMessage, ParentMessage } from "../ipc-messages.ts";

/** Every child still running; killed when the orchestrator exits, however it exits. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) {
    child.kill("SIGKILL");
  }
});

/** How a {@link ChildChannel} starts its process. */
export interface ChildSpawnOptions {
  /**
   * The child's soft limit of open files (`ulimit -n`), set by a shell that
   * then execs Node in its place (the pid stays the child's). It cannot
   * exceed the hard limit, unless run as root.
   * @default the orchestrator's own limit
   */
  readonly maxOpenFiles?: number;
}

/**
 * A bench child process (server or client) and its IPC channel, started with
 * the project's Node and `--expose-gc`. `Received` and `Sent` are the
 * messages of its protocol: the harness's by default, the scale bench's
 * (`bench/scale/scale-messages.ts`) there.
 */
export class ChildChannel<Received = ChildMessage, Sent = ParentMessage> {
  readonly label: string;
  readonly #child: ChildProcess;
  readonly #listeners = new Set<(message: Received) => void>();
  /** Resolves with a description once the process has exited. */
  readonly exited: Promise<string>;

  constructor(entry: string, label: string, cwd: string, options: ChildSpawnOptions = {}) {
    this.label = label;
    const node = [process.execPath, "--expose-gc", entry];
    const [file, ...args] =
      options.maxOpenFiles === undefined
        ? node
        : ["/bin/sh", "-c", 'ulimit -n "$0" && exec "$@"', String(options.maxOpenFiles), ...node];
    this.#child = spawn(file as string, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    running.add(this.#child);
    for (const output of [this.#child.stdout, this.#child.stderr]) {
      if (output !== null) {
        createInterface({ input: output }).on("line", (line) =>
          process.stderr.write(`  [${label}] ${line}\n`),
        );
      }
    }
    this.#child.on("message", (message: Received) => {
      for (const listener of this.#listeners) {
        listener(message);
      }
    });
    this.#child.on("error", () => {});
    this.exited = new Promise((resolve) => {
      this.#child.once("exit", (code, signal) => {
        running.delete(this.#child);
        resolve(`${label} exited (${signal ?? `code ${code}`})`);
      });
    });
  }

  /** The process's id (the shell's, which became Node, with `maxOpenFiles`). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  send(message: Sent): void {
    if (this.#child.connected) {
      this.#child.send(message as Serializable);
    }
  }

  onMessage(listener: (message: Received) => void): void {
    this.#listeners.add(listener);
  }

  /** The first message `pick` accepts; rejects on timeout or exit. */
  waitFor<T>(
    pick: (message: Received) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const listener = (message: Received): void => {
        let picked: T | undefined;
        try {
          picked = pick(message);
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (picked !== undefined) {
          finish();
          resolve(picked);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.label}: no ${what} within ${(timeoutMs / 1000).toFixed(1)} s`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      this.#listeners.add(listener);
      void this.exited.then((description) => {
        finish();
        reject(new Error(`${description} while waiting for ${what}`));
      });
    });
  }

  /** Asks the process to leave (disconnect), then kills it if it lingers. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
      return;
    }
    if (this.#child.connected) {
      this.#child.disconnect();
    }
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.#child.kill("SIGKILL");
  }
}
