/**
 * Attributes the growth between two V8 heap snapshots of one process:
 * `npm exec -- node bench/heap-snapshot-diff.ts <before> <after> <peers> [rows]`.
 *
 * Made for `bench/heap-per-peer.ts`'s snapshots (`server-0` against
 * `server-N`, or the client's). Every object's own (shallow) size is summed
 * by its constructor name (`Object`, `Array` and the like by V8's type:
 * `(string)`, `(code)`, `(array)`, …; ArrayBuffer backing stores count
 * under `(ArrayBuffer)` by their byte length), and the table shows the
 * largest growths per peer: bytes and object count. Self sizes, not
 * retained sizes: each byte counts once, under the object that holds it,
 * so the rows add up to the heap's growth. A second column gives the
 * retained size (`bench/heap-dominators.ts`) of the same objects, counting
 * an object only when its immediate dominator is not of the same
 * constructor: what would go if every such object went. It means most for
 * class instances (`Connection`, `YamuxMuxer`, `MemoryDatastore`); rows
 * overlap (a connection retains its muxer), so they do not add up.
 */
import { readFileSync } from "node:fs";
import { dominate } from "./heap-dominators.ts";

const USAGE = "usage: node bench/heap-snapshot-diff.ts <before> <after> <peers> [rows]";

/** The parts of the `.heapsnapshot` JSON used here. */
interface HeapSnapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: string[];
      readonly node_types: [string[], ...unknown[]];
      readonly edge_fields: string[];
      readonly edge_types: [string[], ...unknown[]];
    };
  };
  readonly nodes: number[];
  readonly edges: number[];
  readonly strings: string[];
}

/** Bytes (own and retained) and objects per constructor (or V8 type). */
type Tally = Map<string, { bytes: number; retained: number; count: number }>;

function tally(file: string): Tally {
  const heap = JSON.parse(readFileSync(file, "utf8")) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const { nodes, edges, strings } = heap;
  const edgeFields = heap.snapshot.meta.edge_fields;
  const { retained, dominator } = dominate({
    nodes,
    nodeWidth: width,
    sizeAt,
    edgeCountAt: fields.indexOf("edge_count"),
    edges,
    edgeWidth: edgeFields.length,
    edgeTypeAt: edgeFields.indexOf("type"),
    edgeToAt: edgeFields.indexOf("to_node"),
    weakType: heap.snapshot.meta.edge_types[0].indexOf("weak"),
  });
  const keyOf = (node: number): string => {
    const type = types[nodes[node * width + typeAt] as number] as string;
    const name = strings[nodes[node * width + nameAt] as number] as string;
    return type === "object" || type === "native" || type === "closure" ? name : `(${type})`;
  };
  const result: Tally = new Map();
  for (let node = 0; node < nodes.length / width; node++) {
    const key = keyOf(node);
    const entry = result.get(key) ?? { bytes: 0, retained: 0, count: 0 };
    entry.bytes += nodes[node * width + sizeAt] as number;
    entry.count += 1;
    const parent = dominator[node] as number;
    if (parent >= 0 && keyOf(parent) !== key) {
      entry.retained += retained[node] as number;
    }
    result.set(key, entry);
  }
  return result;
}

function main(): void {
  const [before, after, peersText, rowsText = "40"] = process.argv.slice(2);
  const peers = Number(peersText);
  if (before === undefined || after === undefined || !(peers > 0)) {
    throw new Error(USAGE);
  }
  const a = tally(before);
  const b = tally(after);
  const rows = [...b.keys(), ...[...a.keys()].filter((key) => !b.has(key))].map((key) => {
    const x = a.get(key) ?? { bytes: 0, retained: 0, count: 0 };
    const y = b.get(key) ?? { bytes: 0, retained: 0, count: 0 };
    return {
      key,
      bytes: (y.bytes - x.bytes) / peers,
      retained: (y.retained - x.retained) / peers,
      count: (y.count - x.count) / peers,
    };
  });
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log(`growth per peer: ${(total / 1024).toFixed(1)} KiB (self sizes, all objects)`);
  console.log("| constructor or type | own bytes/peer | retained bytes/peer | objects/peer |");
  console.log("| --- | --: | --: | --: |");
  for (const row of rows.slice(0, Number(rowsText))) {
    const cells = [row.bytes.toFixed(0), row.retained.toFixed(0), row.count.toFixed(1)];
    console.log(`| ${row.key.slice(0, 60)} | ${cells.join(" | ")} |`);
  }
  const byRetained = [...rows].sort((x, y) => y.retained - x.retained);
  console.log("\nlargest retained growth per peer:");
  for (const row of byRetained.slice(0, Number(rowsText))) {
    console.log(
      `  ${row.key.slice(0, 60)}: ${(row.retained / 1024).toFixed(1)} KiB retained, ${row.count.toFixed(1)} objects`,
    );
  }
}

main();
