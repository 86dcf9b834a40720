/**
 * Places the target graph for the page: one column per depth (sources first), and within a column
 * each node near the average row of its inputs, so a subject's files line up across columns. A
 * huge graph keeps its first rows only (the page would not draw tens of thousands of boxes).
 */
import type { GraphDrawing } from '../graph/drawing.ts';
import type { StatusState } from '../engine/status.ts';
import type { ViewGraph, ViewGraphNode } from './snapshot.ts';

export const MAX_DRAWN_NODES = 1200;

export function layoutGraph(
  drawing: GraphDrawing,
  states: ReadonlyMap<string, { state: StatusState; rule: string }>,
  maxNodes = MAX_DRAWN_NODES,
): ViewGraph {
  const inputs = new Map<string, string[]>();
  for (const e of drawing.edges) inputs.set(e.to, [...(inputs.get(e.to) ?? []), e.from]);
  const layers = new Map<string, number>();
  const layerOf = (id: string, seen = new Set<string>()): number => {
    const known = layers.get(id);
    if (known !== undefined) return known;
    seen.add(id);
    const from = (inputs.get(id) ?? []).filter((i) => !seen.has(i));
    const layer = from.length === 0 ? 0 : 1 + Math.max(...from.map((i) => layerOf(i, seen)));
    layers.set(id, layer);
    return layer;
  };
  const columns: string[][] = [];
  for (const n of drawing.nodes) (columns[layerOf(n.id)] ??= []).push(n.id);

  // Position within a column as a fraction, so columns of different heights line up.
  const position = new Map<string, number>();
  columns.forEach((column, layer) => {
    const keyed = column.map((id) => {
      const from = (inputs.get(id) ?? []).filter((i) => position.has(i));
      const centre =
        layer === 0 || from.length === 0
          ? Number.NaN
          : from.reduce((sum, i) => sum + position.get(i)!, 0) / from.length;
      return { id, centre };
    });
    keyed.sort((a, b) =>
      Number.isNaN(a.centre) || Number.isNaN(b.centre) || a.centre === b.centre
        ? a.id.localeCompare(b.id)
        : a.centre - b.centre,
    );
    keyed.forEach((k, row) => position.set(k.id, column.length > 1 ? row / (column.length - 1) : 0));
    columns[layer] = keyed.map((k) => k.id);
  });

  const perColumn = Math.max(1, Math.floor(maxNodes / Math.max(1, columns.length)));
  const nodes: ViewGraphNode[] = [];
  const source = new Set(drawing.nodes.filter((n) => n.source).map((n) => n.id));
  columns.forEach((column, layer) =>
    column.slice(0, perColumn).forEach((id, row) => {
      const s = states.get(id);
      nodes.push({ id, source: source.has(id), layer, row, ...(s ? { state: s.state, rule: s.rule } : {}) });
    }),
  );
  const kept = new Set(nodes.map((n) => n.id));
  return {
    nodes,
    edges: drawing.edges.filter((e) => kept.has(e.from) && kept.has(e.to)),
    omitted: drawing.nodes.length - nodes.length,
  };
}
