/**
 * Command-line targets → target ids. A target may be named by rule name, by path (relative to
 * the pipeline root or to the working directory), by its marker's path, or by a glob. An unknown
 * name is an error with the nearest known name, as ninja's "did you mean".
 */
import path from 'node:path';
import picomatch from 'picomatch';
import { err, ok, type Result } from '../util/result.ts';
import type { TargetGraph } from './build-graph.ts';

export interface SelectionError {
  message: string;
  suggestion?: string;
}

export interface Selection {
  /** Selected target ids (no duplicates, graph order). */
  targets: string[];
  /** Named sources: nothing to build, reported as up to date. */
  sources: string[];
}

export function selectTargets(
  graph: TargetGraph,
  args: readonly string[],
  root: string,
  cwd: string,
): Result<Selection, SelectionError> {
  if (args.length === 0) return ok({ targets: [...graph.targets.keys()], sources: [] });
  const chosen = new Set<string>();
  const sources: string[] = [];
  const ruleNames = new Set([...graph.targets.values()].map((t) => t.rule.name));
  for (const arg of args) {
    if (ruleNames.has(arg)) {
      for (const t of graph.targets.values()) if (t.rule.name === arg) chosen.add(t.id);
      continue;
    }
    const candidates = candidatePaths(arg, root, cwd);
    if (picomatch.scan(arg).isGlob) {
      const matchers = candidates.map((c) => picomatch(c, { dot: true }));
      const hits = [...graph.targets.keys()].filter((id) => matchers.some((m) => m(id)));
      const markerHits = [...graph.markers].filter(([marker]) => matchers.some((m) => m(marker))).map(([, id]) => id);
      if (hits.length + markerHits.length === 0) return err({ message: `no target matches '${arg}'` });
      for (const id of [...hits, ...markerHits]) chosen.add(id);
      continue;
    }
    const found = candidates.find((c) => graph.targets.has(c) || graph.markers.has(c) || graph.sources.has(c));
    if (found === undefined) {
      const suggestion = nearest(candidates[0] ?? arg, [
        ...graph.targets.keys(),
        ...graph.markers.keys(),
        ...ruleNames,
      ]);
      return err({ message: `unknown target '${arg}'`, ...(suggestion ? { suggestion } : {}) });
    }
    if (graph.targets.has(found)) chosen.add(found);
    else if (graph.markers.has(found)) chosen.add(graph.markers.get(found)!);
    else sources.push(found);
  }
  return ok({ targets: [...graph.targets.keys()].filter((id) => chosen.has(id)), sources });
}

/** The ways an argument may name a root-relative path, most likely first. */
function candidatePaths(arg: string, root: string, cwd: string): string[] {
  const fromCwd = path.relative(root, path.resolve(cwd, arg)).split(path.sep).join('/');
  const asGiven = arg.replace(/^\.\//, '');
  return [...new Set(path.isAbsolute(arg) ? [fromCwd] : [asGiven, fromCwd])].filter((c) => !c.startsWith('..'));
}

/** The known name closest to `name` by edit distance, if close enough to be a plausible typo. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(3, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
