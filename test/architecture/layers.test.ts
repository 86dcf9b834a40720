/**
 * The layers import one way (config and graph → engine → stages → providers; reporting beside,
 * the CLI on top): no two top-level directories of src/ import each other, directly or around a
 * loop. (Exit codes live with reporting, the wildcard syntax with the config, a stale price with
 * the price table: each was once a back edge.)
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativeImports, siblingCycles } from './import-graph.ts';

describe('src layering', () => {
  const imports = relativeImports('src');
  const top = (file: string): string => path.relative('src', file).split(path.sep)[0]!;

  it('reads the imports it checks', () => {
    expect(imports.some((i) => top(i.from) === 'cli' && top(i.to) === 'engine')).toBe(true);
    expect(imports.some((i) => top(i.from) === 'stages' && top(i.to) === 'providers')).toBe(true);
  });

  it('no two top-level directories import each other, directly or around a loop', () => {
    expect(siblingCycles(imports, 'src')).toEqual([]);
  });

  it('the engine never imports the CLI, reporting or the viewer (it never prints)', () => {
    const wrong = imports
      .filter((i) => top(i.from) === 'engine' && ['cli', 'report', 'view'].includes(top(i.to)))
      .map((i) => `${i.from} imports ${i.spec}`);
    expect(wrong).toEqual([]);
  });
});
