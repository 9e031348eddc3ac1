import { formatNumber, formatRatio } from "./format-number.ts";

/** CPU of other processes (% of one core) during a measured window worth flagging. */
export const DISTURBED_CPU_PERCENT = 15;

/** Where a run stops being quotable; every bound is a reason on its own. */
export interface VerdictLimits {
  /** The probe's slowdown against the quiet reference, at the start or the end. */
  readonly probeSlowdown: number;
  /** Busy share of all cores (%) in the idle window before or after the run. */
  readonly idleBusyPercent: number;
  /** Steal share of all cores (%) over the whole run. */
  readonly stealPercent: number;
  /** Share of measured windows in which other processes used `DISTURBED_CPU_PERCENT` or more. */
  readonly disturbedWindowShare: number;
}

/** The limits the report applies. */
export const VERDICT_LIMITS: VerdictLimits = {
  probeSlowdown: 1.3,
  idleBusyPercent: 10,
  stealPercent: 5,
  disturbedWindowShare: 0.1,
};

/** What the verdict is made of: the machine checks at both ends and the run's windows. */
export interface VerdictInput {
  readonly probeSlowdownAtStart: number | undefined;
  readonly probeSlowdownAtEnd: number | undefined;
  readonly idleBusyPercentAtStart: number;
  readonly idleBusyPercentAtEnd: number;
  /** Undefined where /proc/stat is missing. */
  readonly stealPercent: number | undefined;
  /** Measured windows of the run, and how many of them other processes disturbed. */
  readonly windows: number;
  readonly disturbedWindows: number;
}

/** Whether a run's ratios may be quoted, and the one line that says so. */
export interface MachineVerdict {
  readonly quotable: boolean;
  /** Each limit the run crossed, in words; empty when quotable. */
  readonly reasons: readonly string[];
  /** "busy machine: ratios not quotable (…)" or "quiet machine: ratios quotable (…)". */
  readonly line: string;
}

const percent = (value: number): string => `${formatNumber(value)}%`;

/**
 * Judges a run from its machine figures alone (no timing of its own): not
 * quotable when the probe ran much slower than the quiet reference at
 * either end, something else kept the machine busy while it was idle before
 * or after, the hypervisor stole CPU, or other processes disturbed too many
 * measured windows.
 */
export function machineVerdict(
  input: VerdictInput,
  limits: VerdictLimits = VERDICT_LIMITS,
): MachineVerdict {
  const reasons: string[] = [];
  for (const [when, slowdown] of [
    ["start", input.probeSlowdownAtStart],
    ["end", input.probeSlowdownAtEnd],
  ] as const) {
    if (slowdown !== undefined && slowdown > limits.probeSlowdown) {
      reasons.push(
        `CPU probe ${formatRatio(slowdown)} the quiet reference at the ${when} (limit ${limits.probeSlowdown}×)`,
      );
    }
  }
  for (const [when, busy] of [
    ["before", input.idleBusyPercentAtStart],
    ["after", input.idleBusyPercentAtEnd],
  ] as const) {
    if (busy > limits.idleBusyPercent) {
      reasons.push(
        `other processes kept the machine ${percent(busy)} busy just ${when} the run (limit ${percent(limits.idleBusyPercent)})`,
      );
    }
  }
  if (input.stealPercent !== undefined && input.stealPercent > limits.stealPercent) {
    reasons.push(
      `CPU steal ${percent(input.stealPercent)} over the run (limit ${percent(limits.stealPercent)})`,
    );
  }
  if (input.windows > 0 && input.disturbedWindows / input.windows > limits.disturbedWindowShare) {
    reasons.push(
      `other processes used ${DISTURBED_CPU_PERCENT}% of a core or more in ${input.disturbedWindows} of ${input.windows} measured windows (limit ${percent(100 * limits.disturbedWindowShare)})`,
    );
  }
  if (reasons.length > 0) {
    return {
      quotable: false,
      reasons,
      line: `busy machine: ratios not quotable (${reasons.join("; ")})`,
    };
  }
  const probe =
    input.probeSlowdownAtStart === undefined || input.probeSlowdownAtEnd === undefined
      ? "no quiet probe reference to compare with"
      : `CPU probe ${formatRatio(input.probeSlowdownAtStart)} / ${formatRatio(input.probeSlowdownAtEnd)} the quiet reference at the start / end`;
  const steal = input.stealPercent === undefined ? "" : `, steal ${percent(input.stealPercent)}`;
  return {
    quotable: true,
    reasons,
    line:
      `quiet machine: ratios quotable (${probe}; ${percent(input.idleBusyPercentAtStart)} / ${percent(input.idleBusyPercentAtEnd)} busy before / after${steal}; ` +
      `${input.disturbedWindows} of ${input.windows} measured windows disturbed)`,
  };
}
