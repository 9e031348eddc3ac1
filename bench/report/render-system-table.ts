import { SYSTEMS, type SystemId } from "../system-catalog.ts";
import type { WorkloadId } from "../workload-catalog.ts";
import type { ResultTable } from "./summarize-cells.ts";

/** A column of a per-system table: its heading and the workload its cells come from. */
export interface SystemTableColumn {
  readonly title: string;
  readonly workload: WorkloadId;
}

/**
 * A Markdown table with one row per system and one column per shown column
 * (those of `workloads`). A cell is "n/a" for a workload the system does not
 * run, "–" when `table` has no cell for it, "error" when no round succeeded,
 * and `cell(column, system)` otherwise, followed by "(k/n<partial>)" when
 * only k of n rounds succeeded. Empty when no column is shown.
 */
export function renderSystemTable<Column extends SystemTableColumn>(
  table: ResultTable,
  systems: readonly SystemId[],
  workloads: readonly WorkloadId[],
  columns: readonly Column[],
  cell: (column: Column, system: SystemId) => string,
  partial = "",
): string {
  const shown = columns.filter((column) => workloads.includes(column.workload));
  if (shown.length === 0) {
    return "";
  }
  const lines = [
    `| system | ${shown.map((column) => column.title).join(" | ")} |`,
    `|---|${shown.map(() => "--:").join("|")}|`,
  ];
  for (const system of systems) {
    const cells = shown.map((column) => {
      if (!SYSTEMS[system].workloads.includes(column.workload)) {
        return "n/a";
      }
      const summary = table.get(system, column.workload);
      if (summary === undefined) {
        return "–";
      }
      if (summary.okRounds === 0) {
        return "error";
      }
      const text = cell(column, system);
      return summary.okRounds < summary.rounds
        ? `${text} (${summary.okRounds}/${summary.rounds}${partial})`
        : text;
    });
    lines.push(`| ${SYSTEMS[system].label} | ${cells.join(" | ")} |`);
  }
  return `${lines.join("\n")}\n`;
}
