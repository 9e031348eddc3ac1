import { DEFAULT_IDLE_STREAM_TIMEOUT_MS } from "../../src/constants.ts";

/** What one `npm run bench:scale` does, from its command line. */
export interface ScaleOptions {
  /** Peers connected at each step, increasing; each step grows the same set. */
  readonly peers: readonly number[];
  /** Client processes the peers are spread over. */
  readonly clients: number;
  /** Connect-and-call operations in flight per client process while growing. */
  readonly parallel: number;
  /** Unary calls per step, over random connected peers. */
  readonly calls: number;
  /** Calls in flight at once, over all client processes (at least one per process). */
  readonly inFlight: number;
  /** Deadline of each measured call, ms. */
  readonly callTimeoutMs: number;
  /** Deadline of each new peer's connect and first call, ms. */
  readonly connectTimeoutMs: number;
  /** Wait after a step's last new peer before the idle window, ms. */
  readonly settleMs: number;
  /** Idle window over which CPU is measured, ms. */
  readonly idleMs: number;
  /** Longest a step's growing may take before the run stops there, ms. */
  readonly stepBudgetMs: number;
  /** Where the results go. */
  readonly outDir: string | undefined;
  /** Record a CPU profile of the server over the last step's idle window. */
  readonly profileIdle: boolean;
}

/** The curve: 10, 100, 1,000 and 5,000 peers. */
export const DEFAULT_PEERS: readonly number[] = [10, 100, 1000, 5000];

export const DEFAULT_SCALE_OPTIONS: ScaleOptions = {
  peers: DEFAULT_PEERS,
  clients: 4,
  parallel: 8,
  calls: 2000,
  inFlight: 4,
  callTimeoutMs: 10_000,
  connectTimeoutMs: 30_000,
  // The client's idle method streams (kept by its StreamPool after each
  // peer's first call) close this long after that call: the window then
  // sees an idle server, not those streams closing.
  settleMs: DEFAULT_IDLE_STREAM_TIMEOUT_MS + 2000,
  // Six rounds of the liveness check (every 5 s by default, both sides) and
  // one of Yamux's keep-alive (every 30 s).
  idleMs: 30_000,
  stepBudgetMs: 10 * 60_000,
  outDir: undefined,
  profileIdle: false,
};

export const SCALE_USAGE = `usage: npm run bench:scale -- [--peers=10,100,1000,5000] [--clients=4] [--parallel=8]
                              [--calls=2000] [--in-flight=4] [--call-timeout-ms=10000]
                              [--connect-timeout-ms=30000] [--settle-ms=32000] [--idle-ms=30000]
                              [--step-budget-ms=600000] [--out=<dir>] [--profile-idle]`;

function parseInteger(value: string, what: string, min: number): number {
  const number = Number(value);
  if (value === "" || !Number.isInteger(number) || number < min) {
    throw new Error(`${what} must be a whole number >= ${min}, got "${value}"`);
  }
  return number;
}

const NUMERIC = {
  "--clients": ["clients", 1],
  "--parallel": ["parallel", 1],
  "--calls": ["calls", 1],
  "--in-flight": ["inFlight", 1],
  "--call-timeout-ms": ["callTimeoutMs", 1],
  "--connect-timeout-ms": ["connectTimeoutMs", 1],
  "--settle-ms": ["settleMs", 0],
  "--idle-ms": ["idleMs", 1],
  "--step-budget-ms": ["stepBudgetMs", 1],
} as const;

/** Parses the arguments after `npm run bench:scale --`; throws with a message on bad input. */
export function parseScaleOptions(argv: readonly string[]): ScaleOptions {
  const options: { -readonly [K in keyof ScaleOptions]: ScaleOptions[K] } = {
    ...DEFAULT_SCALE_OPTIONS,
  };
  for (const argument of argv) {
    const [flag = "", value = ""] = argument.split(/=(.*)/s, 2);
    if (flag === "--profile-idle" && !argument.includes("=")) {
      options.profileIdle = true;
    } else if (flag === "--peers") {
      const peers = value.split(",").map((item) => parseInteger(item.trim(), "--peers", 1));
      if (
        peers.length === 0 ||
        peers.some((count, index) => index > 0 && count <= (peers[index - 1] as number))
      ) {
        throw new Error(`--peers must be increasing counts, got "${value}"`);
      }
      options.peers = peers;
    } else if (flag === "--out" && value !== "") {
      options.outDir = value;
    } else if (flag in NUMERIC) {
      const [key, min] = NUMERIC[flag as keyof typeof NUMERIC];
      options[key] = parseInteger(value, flag, min);
    } else {
      throw new Error(`unknown argument "${argument}"`);
    }
  }
  return options;
}
