/**
 * Retained sizes of a V8 heap snapshot's objects, for
 * `bench/heap-snapshot-diff.ts`: an object's retained size is its own size
 * plus that of every object only reachable through it (the objects it
 * dominates, from the snapshot's root). Weak edges do not retain. The
 * dominator tree is computed with the iterative algorithm of Cooper, Harvey
 * and Kennedy ("A Simple, Fast Dominance Algorithm", 2001) over a reverse
 * postorder; a few passes settle a snapshot of a million objects.
 */

/** A snapshot's graph in the flat arrays of the `.heapsnapshot` format. */
export interface HeapGraph {
  /** Nodes (objects), `nodeWidth` numbers each. */
  readonly nodes: readonly number[];
  readonly nodeWidth: number;
  readonly sizeAt: number;
  readonly edgeCountAt: number;
  /** Edges, `edgeWidth` numbers each, grouped by their source node in node order. */
  readonly edges: readonly number[];
  readonly edgeWidth: number;
  readonly edgeTypeAt: number;
  readonly edgeToAt: number;
  /** The edge type index of `weak` edges. */
  readonly weakType: number;
}

/** Retained size, bytes, and immediate dominator of every node (node index, not offset). */
export function dominate(graph: HeapGraph): { retained: Float64Array; dominator: Int32Array } {
  const count = graph.nodes.length / graph.nodeWidth;
  const firstEdge = new Uint32Array(count + 1);
  for (let node = 0, edge = 0; node < count; node++) {
    firstEdge[node] = edge;
    edge += (graph.nodes[node * graph.nodeWidth + graph.edgeCountAt] as number) * graph.edgeWidth;
  }
  firstEdge[count] = graph.edges.length;
  const target = (edge: number): number =>
    (graph.edges[edge + graph.edgeToAt] as number) / graph.nodeWidth;
  const strong = (edge: number): boolean => graph.edges[edge + graph.edgeTypeAt] !== graph.weakType;

  // Postorder from the root (node 0), iteratively.
  const order = new Int32Array(count).fill(-1);
  const postorder = new Int32Array(count);
  let visited = 0;
  const stack = new Int32Array(count);
  const cursor = new Uint32Array(count);
  const seen = new Uint8Array(count);
  let top = 0;
  stack[top++] = 0;
  seen[0] = 1;
  cursor[0] = firstEdge[0] as number;
  while (top > 0) {
    const node = stack[top - 1] as number;
    let edge = cursor[node] as number;
    while (edge < (firstEdge[node + 1] as number) && (!strong(edge) || seen[target(edge)])) {
      edge += graph.edgeWidth;
    }
    cursor[node] = edge + graph.edgeWidth;
    if (edge < (firstEdge[node + 1] as number)) {
      const next = target(edge);
      seen[next] = 1;
      cursor[next] = firstEdge[next] as number;
      stack[top++] = next;
    } else {
      top--;
      order[node] = visited;
      postorder[visited++] = node;
    }
  }

  // Predecessors over strong edges, reachable nodes only.
  const predecessorCount = new Uint32Array(count + 1);
  for (let node = 0; node < count; node++) {
    for (
      let edge = firstEdge[node] as number;
      edge < (firstEdge[node + 1] as number);
      edge += graph.edgeWidth
    ) {
      if (strong(edge) && (order[node] as number) >= 0) {
        predecessorCount[target(edge) + 1]++;
      }
    }
  }
  for (let node = 0; node < count; node++) {
    predecessorCount[node + 1] =
      (predecessorCount[node + 1] as number) + (predecessorCount[node] as number);
  }
  const predecessors = new Int32Array(predecessorCount[count] as number);
  const fill = predecessorCount.slice(0, count);
  for (let node = 0; node < count; node++) {
    if ((order[node] as number) < 0) {
      continue;
    }
    for (
      let edge = firstEdge[node] as number;
      edge < (firstEdge[node + 1] as number);
      edge += graph.edgeWidth
    ) {
      if (strong(edge)) {
        predecessors[fill[target(edge)]++] = node;
      }
    }
  }

  // Immediate dominators, as postorder numbers.
  const dominatorOrder = new Int32Array(visited).fill(-1);
  const root = order[0] as number;
  dominatorOrder[root] = root;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (a < b) a = dominatorOrder[a] as number;
      while (b < a) b = dominatorOrder[b] as number;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let index = visited - 2; index >= 0; index--) {
      const node = postorder[index] as number;
      let next = -1;
      for (
        let p = predecessorCount[node] as number;
        p < (predecessorCount[node + 1] as number);
        p++
      ) {
        const from = order[predecessors[p] as number] as number;
        if ((dominatorOrder[from] as number) >= 0) {
          next = next < 0 ? from : intersect(from, next);
        }
      }
      if (next >= 0 && dominatorOrder[index] !== next) {
        dominatorOrder[index] = next;
        changed = true;
      }
    }
  }

  const retained = new Float64Array(count);
  const dominator = new Int32Array(count).fill(-1);
  for (let index = 0; index < visited; index++) {
    const node = postorder[index] as number;
    retained[node] =
      (retained[node] as number) + (graph.nodes[node * graph.nodeWidth + graph.sizeAt] as number);
    if (index !== root) {
      const parent = postorder[dominatorOrder[index] as number] as number;
      dominator[node] = parent;
      retained[parent] = (retained[parent] as number) + (retained[node] as number);
    }
  }
  return { retained, dominator };
}
