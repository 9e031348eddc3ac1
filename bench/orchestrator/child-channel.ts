import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { ChildMessage, ParentMessage } from "../ipc-messages.ts";

/** Every child still running; killed when the orchestrator exits, however it exits. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) {
    child.kill("SIGKILL");
  }
});

/** A bench child process (server or client) and its IPC channel. */
export class ChildChannel {
  readonly label: string;
  readonly #child: ChildProcess;
  readonly #listeners = new Set<(message: ChildMessage) => void>();
  /** Resolves with a description once the process has exited. */
  readonly exited: Promise<string>;

  constructor(entry: string, label: string, cwd: string) {
    this.label = label;
    this.#child = spawn(process.execPath, ["--expose-gc", entry], {
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
    this.#child.on("message", (message: ChildMessage) => {
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

  send(message: ParentMessage): void {
    if (this.#child.connected) {
      this.#child.send(message);
    }
  }

  onMessage(listener: (message: ChildMessage) => void): void {
    this.#listeners.add(listener);
  }

  /** The first message `pick` accepts; rejects on timeout or exit. */
  waitFor<T>(
    pick: (message: ChildMessage) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const listener = (message: ChildMessage): void => {
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
