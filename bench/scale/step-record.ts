/**
 * Memory of one side (the server process, or all client processes summed),
 * bytes. `rss` is without a forced GC (what a user sees); the rest follow a
 * full GC, except `rssLive`, after V8's memory-reducing GC (about what is
 * still alive; see workload g in bench/README.md).
 */
export interface SideMemory {
  readonly rss: number;
  readonly rssFullGc: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** RSS − heapTotal − external after the full GC. */
  readonly native: number;
  readonly rssLive: number;
  /** Open file descriptors (summed over the client processes); absent without /proc. */
  readonly openFiles?: number;
}

/** One side over an idle window and the memory after it. */
export interface SideSample {
  /** CPU over the idle window, % of one core (the client processes' summed). */
  readonly idleCpuPercent: number;
  readonly memory: SideMemory;
}

/** An idle window with everything connected so far, and the memory after it. */
export interface IdleSample {
  readonly server: SideSample;
  readonly clients: SideSample;
  /**
   * What everything else on the machine used over the window, % of one core:
   * all cores' busy time minus the server, the clients and the orchestrator.
   */
  readonly otherCpuPercent: number;
  readonly idleWindowMs: number;
  /** 1, 5 and 15 minute load averages at the end of the window (`uptime`). */
  readonly loadAverage: readonly [number, number, number];
}

/** The unary calls of one step. */
export interface CallSample {
  readonly count: number;
  readonly failures: number;
  readonly firstError: string | undefined;
  /** Calls in flight at once, over all client processes. */
  readonly inFlight: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly callsPerSec: number;
}

/** One step of the curve: peers grown to `peers`, then idle, then called. */
export interface StepRecord extends IdleSample {
  /** The step's count. */
  readonly peers: number;
  /** Peers added in this step (the set grows from the step before). */
  readonly newPeers: number;
  /** Connections the server had open after the idle window. */
  readonly held: number;
  /** Client peers with their connection open then, over all client processes. */
  readonly clientsHeld: number;
  /** Wall time from asking the client processes to grow to all of them done, ms. */
  readonly connectMs: number;
  readonly connectPerSec: number;
  readonly connectFailures: number;
  readonly firstConnectError: string | undefined;
  readonly calls: CallSample;
}

/** Why the curve stopped before its last step. */
export interface ScaleStop {
  /** The count that could not be held (or not tried). */
  readonly peers: number;
  readonly reason: string;
}

/** A whole scale run's measurements. */
export interface ScaleMeasurements {
  /** Both sides idle before any peer existed. */
  readonly baseline: IdleSample;
  readonly steps: readonly StepRecord[];
  readonly stopped: ScaleStop | undefined;
  /** The open-file limit the child processes ran with. */
  readonly maxOpenFiles: number | undefined;
}
