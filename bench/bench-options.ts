import { DEFAULT_SYSTEM_IDS, SYSTEM_IDS, type SystemId } from "./system-catalog.ts";
import { WORKLOAD_IDS, type WorkloadId } from "./workload-catalog.ts";

/** What one `npm run bench` does, from its command line. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly rounds: number;
  /** Warm-up before each measured window, in milliseconds. */
  readonly warmupMs: number;
  /** Length of each measured window, in milliseconds. */
  readonly durationMs: number;
  readonly systems: readonly SystemId[];
  readonly workloads: readonly WorkloadId[];
  /** (g): idle peers/connections held at once. */
  readonly peers: number;
  /** (h): server streams open at once. */
  readonly streams: number;
  /** (h): messages each open stream delivers once released. */
  readonly messagesPerStream: number;
  /** (f): most samples per cell (each is a new connection). */
  readonly maxConnectSamples: number;
  /**
   * `--cold`: (a)–(d) are measured a second time per system and round, each
   * in a fresh client process from its very first call, with no warm-up, for
   * the same window as the steady figure (see `COLD_WORKLOAD_IDS`). On by
   * default in `--quick` runs only; `--no-cold` turns it off.
   */
  readonly cold: boolean;
  /**
   * `--baseline=<git ref>`: p2prpc at that commit runs too, as
   * `p2prpc-tcp-baseline`, unless `--only` names `p2prpc-tcp-baseline-client`
   * (that commit's client against today's server) instead.
   */
  readonly baseline: string | undefined;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only=<system,…>] [--workloads=<a,b,…>]
                        [--rounds=N] [--duration=<ms>] [--warmup=<ms>]
                        [--cold | --no-cold]  (also (a)-(d) in a fresh client process, no warm-up)
                        [--baseline=<git ref>]  (also runs p2prpc TCP at that commit)
systems:   ${SYSTEM_IDS.join(", ")}
workloads: ${WORKLOAD_IDS.join(", ")}`;

function parseList<T extends string>(value: string, known: readonly T[], what: string): T[] {
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  for (const item of items) {
    if (!(known as readonly string[]).includes(item)) {
      throw new Error(`unknown ${what} "${item}"; known: ${known.join(", ")}`);
    }
  }
  // Keep the catalog's order whatever the order on the command line.
  return known.filter((item) => items.includes(item));
}

function parseNumber(value: string, what: string, min: number): number {
  const number = Number(value);
  if (value === "" || !Number.isFinite(number) || number < min) {
    throw new Error(`${what} must be a number >= ${min}, got "${value}"`);
  }
  return number;
}

/** Parses the arguments after `npm run bench --`; throws with a message on bad input. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes("--quick");
  let options: BenchOptions = {
    quick,
    rounds: quick ? 1 : 3,
    warmupMs: quick ? 100 : 500,
    durationMs: quick ? 300 : 2000,
    systems: DEFAULT_SYSTEM_IDS,
    workloads: WORKLOAD_IDS,
    peers: quick ? 20 : 1000,
    streams: quick ? 100 : 1000,
    messagesPerStream: quick ? 20 : 100,
    maxConnectSamples: quick ? 20 : 300,
    // Quick runs include the cold cells (about 25 s more) so that CI's smoke
    // run exercises them; a full run would take about 40% longer with them.
    cold: quick,
    baseline: undefined,
  };
  for (const arg of argv) {
    const [name, value = ""] = arg.split("=", 2) as [string, string?];
    switch (name) {
      case "--quick":
        break;
      case "--only":
        options = { ...options, systems: parseList(value, SYSTEM_IDS, "system") };
        break;
      case "--workloads":
        options = { ...options, workloads: parseList(value, WORKLOAD_IDS, "workload") };
        break;
      case "--rounds":
        options = { ...options, rounds: Math.round(parseNumber(value, "--rounds", 1)) };
        break;
      case "--duration":
        options = { ...options, durationMs: parseNumber(value, "--duration", 10) };
        break;
      case "--cold":
      case "--no-cold":
        if (value !== "") {
          throw new Error(`${name} takes no value`);
        }
        options = { ...options, cold: name === "--cold" };
        break;
      case "--baseline":
        if (value === "") {
          throw new Error("--baseline needs a git ref, e.g. --baseline=main~3");
        }
        options = { ...options, baseline: value };
        break;
      case "--warmup":
        options = { ...options, warmupMs: parseNumber(value, "--warmup", 0) };
        break;
      default:
        throw new Error(`unknown argument "${arg}"`);
    }
  }
  const baselineSystem: SystemId = "p2prpc-tcp-baseline";
  const baselineSystems: readonly SystemId[] = [baselineSystem, "p2prpc-tcp-baseline-client"];
  const needsBaseline = options.systems.find((id) => baselineSystems.includes(id));
  if (options.baseline === undefined && needsBaseline !== undefined) {
    throw new Error(`${needsBaseline} runs only with --baseline=<git ref>`);
  }
  if (
    options.baseline !== undefined &&
    !options.systems.some((id) => baselineSystems.includes(id))
  ) {
    const chosen = new Set([...options.systems, baselineSystem]);
    options = { ...options, systems: SYSTEM_IDS.filter((id) => chosen.has(id)) };
  }
  if (options.systems.length === 0 || options.workloads.length === 0) {
    throw new Error("nothing to run: --only and --workloads left no system or workload");
  }
  return options;
}
