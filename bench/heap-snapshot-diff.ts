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
 * so the rows add up to the heap's growth.
 */
import { readFileSync } from "node:fs";

const USAGE = "usage: node bench/heap-snapshot-diff.ts <before> <after> <peers> [rows]";

/** The parts of the `.heapsnapshot` JSON used here. */
interface HeapSnapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: string[];
      readonly node_types: [string[], ...unknown[]];
    };
  };
  readonly nodes: number[];
  readonly strings: string[];
}

/** Bytes and objects per constructor (or V8 type). */
type Tally = Map<string, { bytes: number; count: number }>;

function tally(file: string): Tally {
  const heap = JSON.parse(readFileSync(file, "utf8")) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const { nodes, strings } = heap;
  const result: Tally = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt] as number] as string;
    const name = strings[nodes[i + nameAt] as number] as string;
    const key = type === "object" || type === "native" || type === "closure" ? name : `(${type})`;
    const entry = result.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += nodes[i + sizeAt] as number;
    entry.count += 1;
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
    const x = a.get(key) ?? { bytes: 0, count: 0 };
    const y = b.get(key) ?? { bytes: 0, count: 0 };
    return { key, bytes: (y.bytes - x.bytes) / peers, count: (y.count - x.count) / peers };
  });
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log(`growth per peer: ${(total / 1024).toFixed(1)} KiB (self sizes, all objects)`);
  console.log("| constructor or type | bytes/peer | objects/peer |");
  console.log("| --- | --: | --: |");
  for (const row of rows.slice(0, Number(rowsText))) {
    console.log(`| ${row.key.slice(0, 60)} | ${row.bytes.toFixed(0)} | ${row.count.toFixed(1)} |`);
  }
}

main();
