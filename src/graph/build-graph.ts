/**
 * Rules + files on disk → the target graph. Sources are the files that match a rule's first input
 * pattern and no rule's output pattern (a stale output whose source was deleted is not a source).
 * Targets are derived by chaining rules from the sources, like make's pattern rules.
 *
 * A rule whose output has fewer wildcards than its first input is a fan-in (`labels/{subject}.jsonl`
 * → `labels/summary.json`): every file its first input matches becomes an input of one target.
 */
import type { RuleConfig } from '../config/schema.ts';
import { err, ok, type Result } from '../util/result.ts';
import { findFiles } from './find-files.ts';
import { wildcardsOf } from '../config/wildcards.ts';
import { compilePattern, instantiate, literalParts, matchPattern, type Pattern } from './pattern.ts';

export interface TargetNode {
  /** The output path relative to the pipeline root; a target's name everywhere. */
  readonly id: string;
  readonly rule: RuleConfig;
  /** Input paths relative to the root, in the rule's order. */
  readonly inputs: readonly string[];
  readonly marker?: string;
  readonly bindings: Readonly<Record<string, string>>;
  /** Targets that produce this target's inputs. */
  readonly deps: readonly string[];
}

export interface TargetGraph {
  /** Every target, in a topological order (dependencies first). */
  readonly targets: ReadonlyMap<string, TargetNode>;
  /** Source files (relative paths) the graph was derived from. */
  readonly sources: ReadonlySet<string>;
  /** Marker path → the target whose ledger it is. */
  readonly markers: ReadonlyMap<string, string>;
}

export interface GraphError {
  message: string;
  /** Rule names involved, to point at the config. */
  rules: string[];
}

const MAX_CHAIN_DEPTH = 32;
/** The dependencies of a target made from sources only: one shared empty list, not one per target. */
const NO_DEPS: readonly string[] = Object.freeze([]);

export function buildGraph(
  root: string,
  rules: readonly RuleConfig[],
  stateDir: string,
): Result<TargetGraph, GraphError> {
  const compiled = rules.map((rule) => {
    const literal = literalParts(rule.inputs[0]!);
    return {
      rule,
      first: compilePattern(rule.inputs[0]!),
      // A file that does not start and end as the first input does is no match: checked before
      // the regex, as most pairs of file and rule in a large graph are not.
      prefix: literal[0]!,
      suffix: literal.length > 1 ? literal.at(-1)! : '',
      output: compilePattern(rule.output),
      shape: ruleShape(rule),
    };
  });
  // A first input that is exactly another rule's output (the usual chain: `requests/{s}.jsonl`
  // made by one rule, read by the next) matches outputs only, never a source: not listed at all.
  const outputs = new Set(rules.map((r) => r.output));
  const listed = new Map(compiled.filter((c) => !outputs.has(c.first.source)).map((c) => [c.first.source, c.first]));
  const files = findFiles(root, [...listed.values()], stateDir);
  const sources = new Set(files.filter((f) => !compiled.some((c) => c.output.regex.test(f))).sort());

  const nodes = new Map<string, TargetNode>();
  let frontier = [...sources];
  for (let depth = 0; frontier.length > 0; depth++) {
    if (depth > MAX_CHAIN_DEPTH) {
      return err({
        message: `rules chain more than ${MAX_CHAIN_DEPTH} deep; is an output pattern also its own input?`,
        rules: rules.map((r) => r.name),
      });
    }
    const next: string[] = [];
    for (const file of frontier) {
      for (const c of compiled) {
        if (!file.startsWith(c.prefix) || !file.endsWith(c.suffix)) continue;
        const made = targetFor(c.rule, c.first, c.shape, file);
        if (!made) continue;
        const existing = nodes.get(made.id);
        if (existing && existing.rule !== c.rule) {
          return err({
            message: `two rules produce ${made.id}: "${existing.rule.name}" and "${c.rule.name}"`,
            rules: [existing.rule.name, c.rule.name],
          });
        }
        if (existing) {
          if (c.shape.fanIn) nodes.set(made.id, { ...existing, inputs: joinInputs(existing.inputs, made.inputs) });
          continue;
        }
        nodes.set(made.id, made);
        next.push(made.id);
      }
    }
    frontier = next;
  }

  // Each node is this function's own until returned: its dependencies are filled in place.
  for (const node of nodes.values()) {
    let deps: string[] | undefined;
    for (const input of node.inputs) if (nodes.has(input)) (deps ??= []).push(input);
    (node as { deps: readonly string[] }).deps = deps ?? NO_DEPS;
  }
  const ordered = topologicalOrder(nodes);
  if (!ordered.ok) return ordered;
  const markers = new Map<string, string>();
  for (const node of ordered.value.values()) if (node.marker) markers.set(node.marker, node.id);
  return ok({ targets: ordered.value, sources, markers });
}

/** Whether a root-relative path is (or would be) a source: a rule reads it and none writes it. */
export function isSourcePath(rules: readonly RuleConfig[], file: string): boolean {
  const reads = rules.some((r) => r.inputs.some((input) => compilePattern(input).regex.test(file)));
  return reads && !rules.some((r) => compilePattern(r.output).regex.test(file));
}

/** What targetFor needs of a rule, worked out once per rule rather than once per file. */
interface RuleShape {
  /** The output's wildcards: a fan-in target is named by these only (the others vary across its inputs). */
  named: ReadonlySet<string>;
  fanIn: boolean;
}

function ruleShape(rule: RuleConfig): RuleShape {
  const named = new Set(wildcardsOf(rule.output));
  return { named, fanIn: wildcardsOf(rule.inputs[0]!).some((w) => !named.has(w)) };
}

function targetFor(rule: RuleConfig, first: Pattern, shape: RuleShape, file: string): TargetNode | undefined {
  const matched = matchPattern(first, file);
  if (!matched) return undefined;
  const bindings = shape.fanIn
    ? Object.fromEntries(Object.entries(matched).filter(([k]) => shape.named.has(k)))
    : matched;
  const id = instantiate(rule.output, bindings);
  const inputs = rule.inputs.map((p) => instantiate(p, matched));
  // Written out rather than spread (a temporary object per node): tens of thousands are made.
  return rule.marker
    ? { id, rule, inputs, marker: instantiate(rule.marker, bindings), bindings, deps: [] }
    : { id, rule, inputs, bindings, deps: [] };
}

/** A fan-in target's inputs: each file once, sorted, so the order does not depend on discovery. */
function joinInputs(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/** Depth-first topological sort; a cycle is reported as the path `a -> b -> a`. */
function topologicalOrder(nodes: ReadonlyMap<string, TargetNode>): Result<Map<string, TargetNode>, GraphError> {
  const ordered = new Map<string, TargetNode>();
  const visiting: string[] = [];
  const visit = (id: string): GraphError | undefined => {
    if (ordered.has(id)) return undefined;
    const at = visiting.indexOf(id);
    if (at !== -1) {
      const cycle = [...visiting.slice(at), id];
      return { message: `dependency cycle: ${cycle.join(' -> ')}`, rules: cycle.map((t) => nodes.get(t)!.rule.name) };
    }
    visiting.push(id);
    const node = nodes.get(id)!;
    for (const dep of node.deps) {
      const problem = visit(dep);
      if (problem) return problem;
    }
    visiting.pop();
    ordered.set(id, node);
    return undefined;
  };
  for (const id of [...nodes.keys()].sort()) {
    const problem = visit(id);
    if (problem) return err(problem);
  }
  return ok(ordered);
}
