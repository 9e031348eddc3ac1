import { fileURLToPath } from "node:url";
import { ChildChannel } from "../orchestrator/child-channel.ts";
import type {
  ScaleAnswer,
  ScaleChildMessage,
  ScaleParentMessage,
  ScaleRequest,
} from "./scale-messages.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ENTRIES = {
  server: "bench/scale/scale-server.ts",
  client: "bench/scale/scale-client.ts",
} as const;

/** The answer of the same kind as `R`. */
type AnswerTo<R extends ScaleRequest> = Extract<ScaleAnswer, { kind: R["kind"] }>;

/**
 * A scale server or client process as the orchestrator sees it: started on
 * the harness's {@link ChildChannel} (killed when the orchestrator exits),
 * asked one request at a time or several at once, each answer matched by id.
 */
export class ScaleProcess {
  readonly #channel: ChildChannel<ScaleChildMessage, ScaleParentMessage>;
  #nextId = 1;

  private constructor(channel: ChildChannel<ScaleChildMessage, ScaleParentMessage>) {
    this.#channel = channel;
  }

  get label(): string {
    return this.#channel.label;
  }

  /**
   * Starts a process of `role` with an open-file limit of `maxOpenFiles`,
   * sends it `start` and resolves with the address it reports once ready.
   */
  static async start(
    role: keyof typeof ENTRIES,
    label: string,
    maxOpenFiles: number | undefined,
    server: string | undefined,
    timeoutMs: number,
  ): Promise<{ readonly process: ScaleProcess; readonly address: string | undefined }> {
    const channel = new ChildChannel<ScaleChildMessage, ScaleParentMessage>(
      ENTRIES[role],
      label,
      ROOT,
      maxOpenFiles === undefined ? {} : { maxOpenFiles },
    );
    channel.send({ type: "start", server });
    try {
      const address = await channel.waitFor(
        (message) => {
          if (message.type === "failed" && message.id === undefined) {
            throw new Error(`${label}: ${message.message}`);
          }
          return message.type === "ready" ? { address: message.address } : undefined;
        },
        timeoutMs,
        "ready",
      );
      return { process: new ScaleProcess(channel), address: address.address };
    } catch (error) {
      await channel.stop();
      throw error;
    }
  }

  /** Asks `request`; rejects on failure, on exit or after `timeoutMs`. */
  ask<R extends ScaleRequest>(request: R, timeoutMs: number): Promise<AnswerTo<R>> {
    const id = this.#nextId++;
    this.#channel.send({ type: "ask", id, request });
    return this.#channel.waitFor(
      (message) => {
        if (message.type === "failed" && message.id === id) {
          throw new Error(`${this.label}, ${request.kind}: ${message.message}`);
        }
        return message.type === "answer" && message.id === id
          ? (message.answer as AnswerTo<R>)
          : undefined;
      },
      timeoutMs,
      `answer to ${request.kind}`,
    );
  }

  /** Ends the process (disconnect, then SIGKILL if it lingers). */
  stop(): Promise<void> {
    return this.#channel.stop();
  }
}
