/**
 * The stages' import layering: the online and structured stages share what they share with the
 * batch stage through src/stages/work/, never by importing the batch stage's internals, and no two
 * stage directories import each other (a cycle makes every change to one a change to both).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { relativeImports, siblingCycles } from './import-graph.ts';

const stages = path.join('src', 'stages');
const under = (dir: string, file: string): boolean => file.startsWith(path.join(stages, dir) + path.sep);

describe('stage imports', () => {
  const imports = relativeImports(stages);

  it('reads the imports it checks (a scanner that finds none would pass anything)', () => {
    expect(imports.some((i) => under('online', i.from) && under('work', i.to))).toBe(true);
    expect(imports.some((i) => under('batch', i.from) && under('structured', i.to))).toBe(true);
  });

  it('the online and structured stages and the shared work import nothing from the batch stage', () => {
    const wrong = imports
      .filter((i) => ['online', 'structured', 'work'].some((d) => under(d, i.from)) && under('batch', i.to))
      .map((i) => `${i.from} imports ${i.spec}`);
    expect(wrong).toEqual([]);
  });

  it('no two stage directories import each other, directly or around a loop', () => {
    expect(siblingCycles(imports, stages)).toEqual([]);
  });
});

describe('the cycle finder', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'import-graph-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };

  it('finds a loop through three directories, type-only and dynamic imports included', () => {
    write('a/x.ts', "import type { Y } from '../b/y.ts';\nexport type X = Y;\n");
    write('b/y.ts', "export type Y = number;\nexport const z = () => import('../c/deep/z.ts');\n");
    write('c/deep/z.ts', "import { x } from '../../a/x.ts';\n// import { nothing } from '../../d/d.ts';\n");
    write('d/d.ts', "import { y } from '../b/y.ts';\n");
    expect(siblingCycles(relativeImports(dir), dir)).toEqual([['a', 'b', 'c']]);
  });
});
