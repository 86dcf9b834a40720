/**
 * What a picture of the target graph shows: the files (sources and targets) and one edge per
 * input, labelled with the rule that reads it. `pipeline graph` prints it as DOT or Mermaid and
 * `pipeline view` lays it out in the page, so both draw the same graph.
 */
import type { TargetGraph } from './build-graph.ts';

export interface DrawnNode {
  id: string;
  /** A source file (no rule makes it) or a target. */
  source: boolean;
}

export interface DrawnEdge {
  from: string;
  to: string;
  rule: string;
}

export interface GraphDrawing {
  /** Each target, then those of its inputs not seen yet, in the graph's topological order. */
  nodes: DrawnNode[];
  edges: DrawnEdge[];
}

/** The drawing of `ids` (targets, usually with their dependencies) and the files they read. */
export function drawGraph(graph: TargetGraph, ids: readonly string[]): GraphDrawing {
  const nodes = new Map<string, DrawnNode>();
  const edges: DrawnEdge[] = [];
  for (const id of ids) {
    const target = graph.targets.get(id);
    if (!target) continue;
    if (!nodes.has(id)) nodes.set(id, { id, source: false });
    for (const input of target.inputs) {
      if (!nodes.has(input)) nodes.set(input, { id: input, source: graph.sources.has(input) });
      edges.push({ from: input, to: id, rule: target.rule.name });
    }
  }
  return { nodes: [...nodes.values()], edges };
}
