import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { dominate, type HeapGraph } from "../../bench/heap-dominators.ts";

const STRONG = 0;
const WEAK = 1;

/**
 * A graph in the `.heapsnapshot` layout: nodes `[self size, edge count]`,
 * edges `[type, to-node offset]`, grouped by source in node order.
 */
function graph(sizes: number[], edges: [from: number, to: number, type?: number][]): HeapGraph {
  const nodes: number[] = [];
  const flat: number[] = [];
  sizes.forEach((size, node) => {
    const out = edges.filter(([from]) => from === node);
    nodes.push(size, out.length);
    for (const [, to, type = STRONG] of out) {
      flat.push(type, to * 2);
    }
  });
  return {
    nodes,
    nodeWidth: 2,
    sizeAt: 0,
    edgeCountAt: 1,
    edges: flat,
    edgeWidth: 2,
    edgeTypeAt: 0,
    edgeToAt: 1,
    weakType: WEAK,
  };
}

describe("dominate (retained sizes of a heap snapshot)", () => {
  it("counts a shared object under the common dominator only", () => {
    // 0 → 1 → 3, 0 → 2 → 3, 1 → 4: node 3 is shared by 1 and 2, so only the
    // root retains it; node 4 is reachable only through 1.
    const { retained, dominator } = dominate(
      graph(
        [1, 10, 100, 1000, 10000],
        [
          [0, 1],
          [0, 2],
          [1, 3],
          [2, 3],
          [1, 4],
        ],
      ),
    );
    assert.deepEqual([...dominator], [-1, 0, 0, 0, 1]);
    assert.deepEqual([...retained], [11111, 10010, 100, 1000, 10000]);
  });

  it("handles a cycle and a path that joins late", () => {
    // 0 → 1 → 2 → 3 → 1 (a cycle), 0 → 4 → 3: node 3 has two ways in (from 2
    // and from 4), so the root dominates it; 2 is only reachable through 1.
    const { retained, dominator } = dominate(
      graph(
        [1, 2, 4, 8, 16],
        [
          [0, 1],
          [1, 2],
          [2, 3],
          [3, 1],
          [0, 4],
          [4, 3],
        ],
      ),
    );
    assert.deepEqual([...dominator], [-1, 0, 1, 0, 0]);
    assert.deepEqual([...retained], [31, 6, 4, 8, 16]);
  });

  it("does not let weak edges retain, and leaves unreachable objects out", () => {
    // 0 → 1, 1 ⇢ 2 weakly only, 3 unreachable.
    const { retained, dominator } = dominate(
      graph(
        [1, 2, 4, 8],
        [
          [0, 1],
          [1, 2, WEAK],
        ],
      ),
    );
    assert.deepEqual([...dominator], [-1, 0, -1, -1]);
    assert.deepEqual([...retained], [3, 2, 0, 0]);
  });
});
