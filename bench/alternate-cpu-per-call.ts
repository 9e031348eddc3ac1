import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { median } from "./stats.ts";

const SCRIPT = fileURLToPath(new URL("./cpu-per-call.ts", import.meta.url));
/** How `cpu-per-call.ts --profile` starts its summary. */
const PROFILE_HEADER = "profile of the ";
/** A measured window's line, as `cpu-per-call.ts` prints it. */
const WINDOW_LINE = /^\S+ \S+: \d+ (?:calls|messages)\/s, ([\d.]+) µs CPU per (?:call|message)$/;
/** What the collector did, as `cpu-per-call.ts` prints it after its median. */
const GC_LINE = /^\S+ \S+ (gc: .*)$/m;

/** What `cpu-per-call.ts`'s flags ask of each process. */
export interface AlternateOptions {
  /** `--profile`: profile the measured windows and print the summary. */
  readonly profile?: boolean;
  /** `--server-process`: the server in a process of its own, the client's CPU alone. */
  readonly serverProcess?: boolean;
}

/**
 * Runs `cpu-per-call.ts` for each system in turn, one process each, `rounds`
 * times (A B C A B C …, so the machine's drift hits all alike), and prints
 * each system's median over all its windows and how it compares with the
 * first system's, each round's line with what the collector did in that
 * process (its scavenges' promotion tells a costly regime). With
 * `profile`, each process also profiles its windows and its summary is
 * printed after its round's line; with `serverProcess`,
 * each runs its server in a process of its own and counts the client alone.
 * Returns the medians by system.
 *
 * @example
 * ```sh
 * npm run bench:cpu -- unary 4 libp2p-one-stream,connect-on-libp2p,p2prpc-tcp 5
 * ```
 */
export function alternateCpuPerCall(
  mode: string,
  windows: number,
  systems: readonly string[],
  rounds: number,
  { profile = false, serverProcess = false }: AlternateOptions = {},
): Map<string, number> {
  const perWindow = new Map<string, number[]>(systems.map((system) => [system, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const system of systems) {
      const args = [
        SCRIPT,
        mode,
        String(windows),
        system,
        ...(profile ? ["--profile"] : []),
        ...(serverProcess ? ["--server-process"] : []),
      ];
      const child = spawnSync(process.execPath, args, {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      });
      if (child.status !== 0) {
        throw new Error(`cpu-per-call for ${system} exited with ${child.status}`);
      }
      const values = child.stdout
        .split("\n")
        .map((line) => WINDOW_LINE.exec(line)?.[1])
        .filter((value) => value !== undefined)
        .map(Number);
      perWindow.get(system)?.push(...values);
      const gc = GC_LINE.exec(child.stdout)?.[1];
      console.log(
        `round ${round}/${rounds} ${system}: median ${formatMicros(median(values))} µs CPU per ${unitOf(mode)}${gc === undefined ? "" : `; ${gc}`}`,
      );
      if (profile) {
        console.log(child.stdout.slice(child.stdout.indexOf(PROFILE_HEADER)).trimEnd());
      }
    }
  }
  const medians = new Map(
    [...perWindow].map(([system, values]) => [system, median(values)] as const),
  );
  const first = medians.get(systems[0] as string) as number;
  for (const [system, value] of medians) {
    const relative =
      system === systems[0] ? "" : ` (${formatChange(value / first - 1)} against ${systems[0]})`;
    console.log(
      `${system} ${mode}: median ${formatMicros(value)} µs CPU per ${unitOf(mode)} over ${perWindow.get(system)?.length} windows${relative}`,
    );
  }
  return medians;
}

/** A CPU time in µs as the bench:cpu lines print it: two decimals below 10 µs, one above. */
export function formatMicros(value: number): string {
  return value.toFixed(value < 10 ? 2 : 1);
}

/** What one measured unit of a bench:cpu mode is: a call, or a server-streamed message. */
export function unitOf(mode: string): string {
  return mode === "server-stream" || mode === "bulk" ? "message" : "call";
}

function formatChange(fraction: number): string {
  return `${fraction >= 0 ? "+" : "−"}${Math.abs(fraction * 100).toFixed(1)}%`;
}
