/**
 * The relative imports between a source tree's files, read from the text (static `import`/`export
 * … from` and `import()`, type-only ones included: they couple directories as much), and the
 * cycles between sibling directories they make.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Import {
  from: string;
  to: string;
  spec: string;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (/\.m?ts$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

export function relativeImports(root: string): Import[] {
  const out: Import[] = [];
  for (const from of sources(root)) {
    const text = readFileSync(from, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) out.push({ from, to: path.normalize(path.join(path.dirname(from), spec)), spec });
    }
  }
  return out;
}

/**
 * Cycles between the directories directly under `parent` (each with everything below it): an
 * import from a file under A of one under B is an edge A → B. Each cycle is its directories, sorted.
 */
export function siblingCycles(imports: readonly Import[], parent: string): string[][] {
  const childOf = (file: string): string | undefined => {
    const rel = path.relative(parent, file).split(path.sep);
    return rel.length > 1 && rel[0] !== '..' ? rel[0] : undefined;
  };
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    const [a, b] = [childOf(i.from), childOf(i.to)];
    if (a === undefined || b === undefined || a === b) continue;
    edges.set(a, (edges.get(a) ?? new Set()).add(b));
  }
  // Tarjan's strongly connected components: any of more than one directory is a cycle.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) visit(w);
      if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = stack.splice(stack.indexOf(v));
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
