import type { ProcessSnapshot } from "./process-snapshot.ts";

/** Which collection a snapshot runs first (see `processSnapshot`). */
export type SnapshotGc = "none" | "full" | "reducing";

/** What the orchestrator asks of a scale server or client process. */
export type ScaleRequest =
  /** This process's CPU, clock, memory and open files, after the GC asked for. */
  | { readonly kind: "snapshot"; readonly gc: SnapshotGc }
  /** Server: open connections; client: its nodes with a connection to the server open. */
  | { readonly kind: "held" }
  /**
   * Client: bring its nodes up to `total`, `parallel` at a time, each
   * connected to the server with one unary call done within `timeoutMs`.
   */
  | {
      readonly kind: "grow";
      readonly total: number;
      readonly parallel: number;
      readonly timeoutMs: number;
    }
  /**
   * Client: `count` unary calls, each from a random one of its connected
   * nodes, `inFlight` at a time, each with a deadline of `timeoutMs`.
   */
  | {
      readonly kind: "calls";
      readonly count: number;
      readonly inFlight: number;
      readonly timeoutMs: number;
    }
  /** Server: start V8's CPU profiler (`--profile-idle`). */
  | { readonly kind: "profile-start" }
  /** Server: stop it and write the profile to `file`. */
  | { readonly kind: "profile-stop"; readonly file: string };

/** What a client process reports for `grow`. */
export interface GrowAnswer {
  /** Nodes it holds now (connected or not). */
  readonly nodes: number;
  /** Of the nodes it tried to add, those whose connect-and-call failed. */
  readonly failures: number;
  /** The first failure, in words. */
  readonly firstError: string | undefined;
  readonly elapsedMs: number;
}

/** What a client process reports for `calls`. */
export interface CallsAnswer {
  /** Each successful call's latency, ms. */
  readonly latenciesMs: readonly number[];
  readonly failures: number;
  readonly firstError: string | undefined;
  readonly elapsedMs: number;
}

/** The answer to a {@link ScaleRequest}, by kind. */
export type ScaleAnswer =
  | { readonly kind: "snapshot"; readonly snapshot: ProcessSnapshot }
  | { readonly kind: "held"; readonly held: number }
  | { readonly kind: "grow"; readonly grow: GrowAnswer }
  | { readonly kind: "calls"; readonly calls: CallsAnswer }
  | { readonly kind: "profile-start" }
  | { readonly kind: "profile-stop" };

/** Orchestrator → scale process. */
export type ScaleParentMessage =
  /** Server: start serving. Client: the server to connect to. */
  | { readonly type: "start"; readonly server: string | undefined }
  | { readonly type: "ask"; readonly id: number; readonly request: ScaleRequest };

/** Scale process → orchestrator. */
export type ScaleChildMessage =
  /** Started; the server says where it listens. */
  | { readonly type: "ready"; readonly address: string | undefined }
  | { readonly type: "answer"; readonly id: number; readonly answer: ScaleAnswer }
  | { readonly type: "failed"; readonly id: number | undefined; readonly message: string };

/** Sends a message to the orchestrator; a scale process without IPC cannot run. */
export function sendToOrchestrator(message: ScaleChildMessage): void {
  if (process.send === undefined) {
    throw new Error("scale processes are started by bench/scale.ts (no IPC channel)");
  }
  process.send(message);
}

/** An error in words, with its cause, for the orchestrator's report. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause === undefined ? "" : ` (cause: ${describeError(error.cause)})`;
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}
