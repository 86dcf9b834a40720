/**
 * How the records of a merge target are shown: which field identifies a row, which holds the
 * model's answer and its tokens (the merge rule's own `idField`, `outputField`, `tokensField`), and
 * which source fields the answer should be compared with — the fields the requests rule's prompt
 * template reads (e.g. `{analysis}`). Taken from the config, never from hard-coded names.
 */
import type { TargetGraph, TargetNode } from '../graph/build-graph.ts';
import type { ResolvedRule } from '../engine/resolve-stages.ts';
import type { MergeConfig } from '../stages/merge.ts';
import { templateFields } from '../stages/record-template.ts';
import type { RequestsConfig } from '../stages/requests.ts';

export interface RowShape {
  target: string;
  idField: string;
  customId: string;
  outputField: string;
  tokensField: string;
  /** The fields the prompt is made of; empty when no requests rule was found (then all are shown). */
  sourceFields: string[];
  bindings: Readonly<Record<string, string>>;
  /** Root-relative paths: the merged output, the source records, the raw results. */
  merged: string;
  source: string;
  results: string;
}

/** The shape of a merge target's rows, or undefined for a target of any other stage. */
export function rowShapeOf(
  graph: TargetGraph,
  rules: ReadonlyMap<string, ResolvedRule>,
  target: string,
): RowShape | undefined {
  const node = graph.targets.get(target);
  const resolved = node ? rules.get(node.rule.name) : undefined;
  if (!node || resolved?.config.kind !== 'merge' || node.inputs.length < 2) return undefined;
  const config = resolved.config as MergeConfig;
  return {
    target,
    idField: config.idField,
    customId: config.customId,
    outputField: config.outputField,
    tokensField: config.tokensField,
    sourceFields: promptFields(graph, rules, node),
    bindings: node.bindings,
    merged: node.id,
    source: node.inputs[0]!,
    results: node.inputs[1]!,
  };
}

/** The record fields of the nearest upstream requests rule's templates (wildcards left out). */
function promptFields(graph: TargetGraph, rules: ReadonlyMap<string, ResolvedRule>, from: TargetNode): string[] {
  const queue = [...from.deps];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = graph.targets.get(id);
    if (!node) continue;
    const resolved = rules.get(node.rule.name);
    if (resolved?.config.kind === 'requests') {
      const config = resolved.config as RequestsConfig;
      return templateFields(`${config.system ?? ''}\n${config.prompt}`).filter((f) => !(f in node.bindings));
    }
    queue.push(...node.deps);
  }
  return [];
}
