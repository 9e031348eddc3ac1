import { fileURLToPath } from "node:url";

/** The parts of a V8 `.cpuprofile` (Chrome DevTools' `Profiler.Profile`) read here. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
  }[];
  readonly samples?: readonly number[];
  /** µs since the previous sample, one per sample (the first: since the profile's start). */
  readonly timeDeltas?: readonly number[];
}

/** Self time of one category or function. */
export interface ProfileEntry {
  readonly name: string;
  /** Self time in µs over the whole profile. */
  readonly micros: number;
}

/** Where a profile's busy time went, by package and by function (self time). */
export interface ProfileSummary {
  /** µs not spent idle. */
  readonly busyMicros: number;
  readonly idleMicros: number;
  /** Busiest first. */
  readonly byPackage: readonly ProfileEntry[];
  /** Busiest first. */
  readonly byFunction: readonly ProfileEntry[];
}

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * The category of a call frame: the npm package its file belongs to,
 * `p2prpc` for this project's `src/` (and `gen/`), `bench` for the harness,
 * `node:<module>` for Node's own JavaScript, and V8's own entries (GC,
 * program, native functions) by name.
 */
export function packageOf(url: string, functionName: string): string {
  const path = url.startsWith("file://") ? fileURLToPath(url) : url;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (inModules !== null) {
    return inModules[1] as string;
  }
  if (path.startsWith(PROJECT_ROOT)) {
    const top = path.slice(PROJECT_ROOT.length).split("/")[0];
    return top === "src" || top === "gen" ? "p2prpc" : (top as string);
  }
  if (url.startsWith("node:")) {
    return `node:${url.slice("node:".length).split("/").slice(0, 2).join("/")}`;
  }
  if (url.startsWith("wasm://")) {
    return "(wasm)";
  }
  return url === "" ? (functionName.startsWith("(") ? functionName : "(native)") : url;
}

/** A frame's name in the function table: its function, file and line. */
function frameName(url: string, functionName: string, lineNumber: number): string {
  const path = url.startsWith("file://") ? fileURLToPath(url) : url;
  const short = path.startsWith(PROJECT_ROOT)
    ? path.slice(PROJECT_ROOT.length)
    : path.replace(/^.*node_modules\//, "");
  const name = functionName || "(anonymous)";
  return short === "" ? name : `${name} ${short}:${lineNumber + 1}`;
}

function sortedEntries(totals: Map<string, number>): ProfileEntry[] {
  return [...totals]
    .map(([name, micros]) => ({ name, micros }))
    .sort((a, b) => b.micros - a.micros);
}

/**
 * Adds up a profile's samples by self time: per package and per function.
 *
 * @example
 * ```ts
 * const summary = summarizeProfile(JSON.parse(readFileSync("x.cpuprofile", "utf8")));
 * summary.byPackage[0]; // { name: "@bufbuild/protobuf", micros: 1_250_000 }
 * ```
 */
export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const selfMicros = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // The first delta counts from the moment profiling started (the
  // inspector's own work), not from a sample: it is left out.
  for (let index = 1; index < samples.length; index++) {
    const id = samples[index] as number;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + Math.max(0, deltas[index] ?? 0));
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idleMicros = 0;
  let busyMicros = 0;
  for (const node of profile.nodes) {
    const micros = selfMicros.get(node.id) ?? 0;
    if (micros === 0) {
      continue;
    }
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") {
      idleMicros += micros;
      continue;
    }
    busyMicros += micros;
    const category = packageOf(url, functionName);
    byPackage.set(category, (byPackage.get(category) ?? 0) + micros);
    const name = frameName(url, functionName, lineNumber);
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  }
  return {
    busyMicros,
    idleMicros,
    byPackage: sortedEntries(byPackage),
    byFunction: sortedEntries(byFunction),
  };
}

/**
 * The summary as text: busy time per `unit` (a call or a message, `units` of
 * them in the profile), then the top packages and functions, each in µs per
 * unit and as a share of the busy time.
 */
export function formatProfileSummary(
  summary: ProfileSummary,
  units: number,
  unit: string,
  top = 15,
): string {
  const perUnit = (micros: number): string => (micros / units).toFixed(2).padStart(8);
  const share = (micros: number): string =>
    `${((micros / summary.busyMicros) * 100).toFixed(1).padStart(5)}%`;
  const rows = (entries: readonly ProfileEntry[]): string[] =>
    entries
      .slice(0, top)
      .map((entry) => `${perUnit(entry.micros)} ${share(entry.micros)}  ${entry.name}`);
  return [
    `busy ${(summary.busyMicros / 1000).toFixed(0)} ms, idle ${(summary.idleMicros / 1000).toFixed(0)} ms, over ${units} ${unit}s: ${(summary.busyMicros / units).toFixed(2)} µs busy per ${unit}`,
    `self time by package (µs per ${unit}, share of busy):`,
    ...rows(summary.byPackage),
    `self time by function (µs per ${unit}, share of busy):`,
    ...rows(summary.byFunction),
  ].join("\n");
}
