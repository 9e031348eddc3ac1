import type { CpuProbeResult } from "./cpu-probe.ts";

/** The probe's figures on a quiet machine of one kind, to compare other probes with. */
export interface ProbeReference extends Omit<CpuProbeResult, "checksum"> {
  /** The CPU model as `os.cpus()` names it: the reference applies to that model only. */
  readonly cpu: string;
  /** The cores (`os.availableParallelism()`) it applies to. */
  readonly cores: number;
  /** How, when and on what runtime the figures were taken. */
  readonly recorded: string;
}

/**
 * Quiet references per kind of machine, with the default probe work. The
 * benchmark's VM changes its CPU model between sessions (the runs of
 * 2026-11-22 had an AMD EPYC, those of 2026-12-01 and 2026-12-02 an Intel
 * Xeon, with about twice grpc-js's (b) figure), so a probe is compared only
 * with a reference of its own CPU model and core count; add one per kind
 * from the probe of a run whose verdict is quiet (`machine.start.probe` in
 * its JSON).
 */
export const QUIET_PROBE_REFERENCES: readonly ProbeReference[] = [
  {
    cpu: "AMD EPYC",
    cores: 2,
    recorded:
      "Node 24.21.0, 2026-12-02: the start probe of the full run of 6af76b6 (`npm run bench -- --cold`), " +
      "which the machine check called quiet (steal 0.015%, no measured window disturbed); " +
      "quiet probes that day ranged from 0.65× to 0.89× the estimate this replaced (41, 39, 43 ms)",
    jsHashMs: 39.2,
    protobufMs: 37.6,
    loopbackMs: 32.4,
  },
];

/** The quiet reference for a machine with this CPU model and core count, if one was recorded. */
export function quietReferenceFor(
  cpu: string,
  cores: number,
  references: readonly ProbeReference[] = QUIET_PROBE_REFERENCES,
): ProbeReference | undefined {
  return references.find((reference) => reference.cpu === cpu && reference.cores === cores);
}

/**
 * How much slower `probe` is than `reference`: the geometric mean of the
 * three parts' ratios (1 = as fast, 2 = twice as slow). Undefined when a
 * reference part is not positive.
 */
export function probeSlowdown(
  probe: Omit<CpuProbeResult, "checksum">,
  reference: Omit<CpuProbeResult, "checksum">,
): number | undefined {
  const parts = [
    [probe.jsHashMs, reference.jsHashMs],
    [probe.protobufMs, reference.protobufMs],
    [probe.loopbackMs, reference.loopbackMs],
  ] as const;
  if (parts.some(([, base]) => !(base > 0))) {
    return undefined;
  }
  const logSum = parts.reduce((sum, [value, base]) => sum + Math.log(value / base), 0);
  return Math.exp(logSum / parts.length);
}
