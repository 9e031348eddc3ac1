import type { SystemId } from "./system-catalog.ts";
import type { WorkloadId } from "./workload-catalog.ts";

/** Where a client finds the server: a multiaddr with /p2p/, or host:port. */
export interface ServerInfo {
  readonly address: string;
}

/** A self-signed certificate and its key, PEM, made once per run. */
export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
}

/** One measurement a client process runs. */
export interface CellConfig {
  readonly workload: WorkloadId;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly peers: number;
  readonly streams: number;
  readonly messagesPerStream: number;
  readonly maxConnectSamples: number;
  /**
   * A cold cell: the client process is fresh, `warmupMs` is 0, and the
   * workload also reports `firstMs`, the time to its first answer.
   */
  readonly cold: boolean;
}

/** Metrics of one cell (one system, one workload, one round). */
export type Metrics = Record<string, number>;

/** What a client asks of the server process, relayed by the orchestrator. */
export type ServerRequest =
  | {
      readonly kind: "snapshot";
      readonly gc: boolean;
      /** Collect with V8's memory-reducing GC (see `takeSnapshot`). */
      readonly reduceMemory?: boolean;
    }
  | { readonly kind: "release" };

/** The server process's answer: its CPU time, clock and memory when asked. */
export interface ServerSnapshot {
  /** User + system CPU time of the process, microseconds. */
  readonly cpuMicros: number;
  /** Monotonic clock of the process, microseconds. */
  readonly timeMicros: number;
  readonly rss: number;
}

/** Orchestrator → server or client process. */
export type ParentMessage =
  | { readonly type: "load"; readonly system: SystemId }
  | {
      readonly type: "init";
      readonly system: SystemId;
      readonly tls: TlsMaterial | undefined;
      readonly server: ServerInfo | undefined;
    }
  | { readonly type: "run"; readonly cell: CellConfig }
  | { readonly type: "request"; readonly id: number; readonly request: ServerRequest }
  | { readonly type: "reply"; readonly id: number; readonly reply: ServerSnapshot };

/** Server or client process → orchestrator. */
export type ChildMessage =
  | { readonly type: "ready"; readonly server: ServerInfo | undefined }
  | { readonly type: "result"; readonly metrics: Metrics }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "request"; readonly id: number; readonly request: ServerRequest }
  | { readonly type: "reply"; readonly id: number; readonly reply: ServerSnapshot };

/** Sends a message to the parent process; a child without IPC cannot run. */
export function sendToParent(message: ChildMessage): void {
  if (process.send === undefined) {
    throw new Error("bench child processes are started by bench/run.ts (no IPC channel)");
  }
  process.send(message);
}

/**
 * This process's snapshot: CPU, clock and RSS (after a full GC when asked and
 * exposed). With `reduceMemory`, the GC is V8's memory-reducing one (the kind
 * its memory reducer runs on an idle process, and the last before an
 * out-of-memory error): it also shrinks the young generation and returns
 * pooled heap pages, so the RSS left is about what is still alive.
 */
export function takeSnapshot(gc: boolean, reduceMemory = false): ServerSnapshot {
  if (gc) {
    collectGarbage(reduceMemory);
  }
  const cpu = process.cpuUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    timeMicros: Number(process.hrtime.bigint() / 1000n),
    rss: process.memoryUsage.rss(),
  };
}

/** Options of the `gc()` that --expose-gc installs. */
interface GcOptions {
  readonly type: "major";
  readonly execution: "sync";
  readonly flavor: "regular" | "last-resort";
}

/** Runs a full GC twice when the process was started with --expose-gc. */
function collectGarbage(reduceMemory: boolean): void {
  const gc = (globalThis as { gc?: (options?: GcOptions) => void }).gc;
  const options: GcOptions = {
    type: "major",
    execution: "sync",
    flavor: reduceMemory ? "last-resort" : "regular",
  };
  gc?.(options);
  gc?.(options);
}
