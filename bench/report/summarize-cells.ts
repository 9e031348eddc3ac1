import type { Metrics } from "../ipc-messages.ts";
import { median } from "../stats.ts";
import type { SystemId } from "../system-catalog.ts";
import type { WorkloadId } from "../workload-catalog.ts";

/**
 * One measurement: a system, a workload, a round, steady (after warm-up in a
 * client process that has run other cells) or cold (a fresh client process,
 * from its first call).
 */
export interface CellRecord {
  readonly mode: "steady" | "cold";
  readonly round: number;
  readonly system: SystemId;
  readonly workload: WorkloadId;
  readonly metrics?: Metrics;
  readonly error?: string;
}

/** A system's results for one workload over every round. */
export interface CellSummary {
  /** Median of each metric over the rounds that succeeded. */
  readonly metrics: Metrics;
  readonly okRounds: number;
  readonly rounds: number;
  readonly errors: readonly string[];
}

/** Medians per system and workload; `get` is undefined where nothing ran. */
export class ResultTable {
  readonly #cells = new Map<string, CellSummary>();

  constructor(records: readonly CellRecord[]) {
    const grouped = new Map<string, CellRecord[]>();
    for (const record of records) {
      const key = `${record.system}/${record.workload}`;
      const group = grouped.get(key);
      if (group === undefined) {
        grouped.set(key, [record]);
      } else {
        group.push(record);
      }
    }
    for (const [key, group] of grouped) {
      const ok = group.flatMap((record) => (record.metrics === undefined ? [] : [record.metrics]));
      const names = new Set(ok.flatMap((metrics) => Object.keys(metrics)));
      const metrics: Metrics = {};
      for (const name of names) {
        metrics[name] = median(
          ok.flatMap((values) => (values[name] === undefined ? [] : [values[name] as number])),
        );
      }
      this.#cells.set(key, {
        metrics,
        okRounds: ok.length,
        rounds: group.length,
        errors: group.flatMap((record) =>
          record.error === undefined ? [] : [`round ${record.round}: ${record.error}`],
        ),
      });
    }
  }

  get(system: SystemId, workload: WorkloadId): CellSummary | undefined {
    return this.#cells.get(`${system}/${workload}`);
  }

  /** A median metric, or undefined when it was not measured. */
  metric(system: SystemId, workload: WorkloadId, name: string): number | undefined {
    const value = this.get(system, workload)?.metrics[name];
    return value === undefined || !Number.isFinite(value) ? undefined : value;
  }

  toJSON(): Record<string, CellSummary> {
    return Object.fromEntries(this.#cells);
  }
}
