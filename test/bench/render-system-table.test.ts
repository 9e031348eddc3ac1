import { describe, expect, it } from "vitest";
import { renderSystemTable } from "../../bench/report/render-system-table.ts";
import { type CellRecord, ResultTable } from "../../bench/report/summarize-cells.ts";
import { SYSTEMS } from "../../bench/system-catalog.ts";

const COLUMNS = [
  { title: "(a) req/s", workload: "a" },
  { title: "(b) req/s", workload: "b" },
  { title: "(g) KiB", workload: "g" },
] as const;

const withoutG = (Object.keys(SYSTEMS) as (keyof typeof SYSTEMS)[]).find(
  (id) => !SYSTEMS[id].workloads.includes("g") && SYSTEMS[id].workloads.includes("a"),
);

describe("renderSystemTable", () => {
  it("gives each cell its value, n/a, –, error or a share of rounds", () => {
    expect(withoutG).toBeDefined();
    const system = withoutG as keyof typeof SYSTEMS;
    const records: CellRecord[] = [
      { mode: "steady", round: 1, system, workload: "a", metrics: { reqPerSec: 10 } },
      { mode: "steady", round: 2, system, workload: "a", metrics: { reqPerSec: 30 } },
      { mode: "steady", round: 1, system: "p2prpc-tcp", workload: "a", error: "boom" },
      { mode: "steady", round: 1, system: "p2prpc-tcp", workload: "b", metrics: { reqPerSec: 5 } },
      { mode: "steady", round: 2, system: "p2prpc-tcp", workload: "b", error: "boom" },
    ];
    const table = new ResultTable(records);
    const text = renderSystemTable(
      table,
      [system, "p2prpc-tcp"],
      ["a", "b", "g"],
      COLUMNS,
      (column, id) => String(table.metric(id, column.workload, "reqPerSec")),
      " cold",
    );
    expect(text.split("\n")).toEqual([
      "| system | (a) req/s | (b) req/s | (g) KiB |",
      "|---|--:|--:|--:|",
      `| ${SYSTEMS[system].label} | 20 | – | n/a |`,
      `| ${SYSTEMS["p2prpc-tcp"].label} | error | 5 (1/2 cold) | – |`,
      "",
    ]);
  });

  it("shows only the workloads asked for, and nothing when none is", () => {
    const table = new ResultTable([]);
    const cell = (): string => "x";
    expect(renderSystemTable(table, ["p2prpc-tcp"], ["c"], COLUMNS, cell)).toBe("");
    expect(renderSystemTable(table, ["p2prpc-tcp"], ["b"], COLUMNS, cell).split("\n")[0]).toBe(
      "| system | (b) req/s |",
    );
  });
});
