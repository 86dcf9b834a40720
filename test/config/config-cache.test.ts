/** The cache of evaluated configs: used only for configs that are a function of their files, and only while those files are unchanged. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheKey, readCachedConfig, writeCachedConfig } from '../../src/config/config-cache.ts';
import { pureConfigSources } from '../../src/config/config-sources.ts';
import { loadConfig } from '../../src/config/load.ts';
import { mmluConfig } from '../helpers/mmlu-config.ts';
import { REPO } from '../helpers/rig.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-config-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RULES = `rules: [{ name: 'r', inputs: ['in/{x}.jsonl'], output: 'out/{x}.jsonl', stage: { kind: 'requests', prompt: '{a}' } }]`;

describe('config sources', () => {
  it('follow relative imports, skip type-only ones', async () => {
    await writeFile(path.join(dir, 'prompt.ts'), `export const PROMPT = '{a}';\n`);
    await writeFile(path.join(dir, 'types.ts'), `export type T = string;\n`);
    const config = path.join(dir, 'pipeline.config.ts');
    await writeFile(
      config,
      `import type { T } from './types.ts';\nimport { PROMPT } from './prompt.js';\nexport default { root: '.', ${RULES.replace("'{a}'", 'PROMPT')} };\n`,
    );
    expect(pureConfigSources(config)?.files).toEqual([config, path.join(dir, 'prompt.ts')]);
  });

  it('follow absolute imports and file URLs', async () => {
    await writeFile(path.join(dir, 'prompt.ts'), `export const PROMPT = '{a}';\n`);
    await writeFile(path.join(dir, 'model.ts'), `export const MODEL = 'gpt-4.1';\n`);
    const config = path.join(dir, 'pipeline.config.ts');
    await writeFile(
      config,
      `import { PROMPT } from ${JSON.stringify(path.join(dir, 'prompt.ts'))};\n` +
        `import { MODEL } from ${JSON.stringify(pathToFileURL(path.join(dir, 'model.ts')).href)};\n` +
        `export default { root: '.', ${RULES.replace("'{a}'", 'PROMPT')} };\n`,
    );
    const files = pureConfigSources(config)?.files ?? [];
    expect(files.sort()).toEqual([path.join(dir, 'model.ts'), config, path.join(dir, 'prompt.ts')]);
  });

  it("the repository's own config and the e2e one (an absolute import of the authoring API, which re-exports zod) are pure; zod counts by its version", async () => {
    expect(pureConfigSources(path.join(REPO, 'pipeline.config.ts'))).toBeDefined();
    const config = path.join(dir, 'pipeline.config.ts');
    await writeFile(config, await mmluConfig('openai'));
    const files = pureConfigSources(config)?.files;
    expect(files).toContain(path.join(REPO, 'src/config/define.ts'));
    expect(files).toContain(path.join(REPO, 'node_modules/zod/package.json'));
  });

  it.each([
    ['the environment', `const m = process.env.MODEL;`],
    ['the clock', `const t = Date.now();`],
    ['a file', `import { readFileSync } from 'node:fs';`],
    ['another package', `import x from 'some-package';`],
    ['a dynamic import', `const m = await import('./x.ts');`],
  ])('are none when the value may depend on %s', async (_what, line) => {
    const config = path.join(dir, 'pipeline.config.ts');
    await writeFile(config, `${line}\nexport default { root: '.', ${RULES} };\n`);
    expect(pureConfigSources(config)).toBeUndefined();
  });
});

describe('config cache', () => {
  it('gives back what was stored under the same key only', () => {
    const file = path.join(dir, 'pipeline.config.ts');
    writeCachedConfig(file, 'k1', { root: '.', rules: [] });
    expect(readCachedConfig(file, 'k1')).toEqual({ exported: { root: '.', rules: [] } });
    expect(readCachedConfig(file, 'k2')).toBeUndefined();
  });

  it('does not store what JSON would change', () => {
    const file = path.join(dir, 'pipeline.config.ts');
    writeCachedConfig(file, 'k', { root: '.', rules: [], extra: () => 1 });
    expect(readCachedConfig(file, 'k')).toBeUndefined();
  });

  it('a load after an edit sees the edit', async () => {
    const config = path.join(dir, 'pipeline.config.ts');
    await writeFile(config, `export default { root: 'a', ${RULES} };\n`);
    const first = await loadConfig(config, dir);
    expect(first.ok && first.value.root).toBe(path.join(dir, 'a'));
    const key = cacheKey(pureConfigSources(config)!);
    expect(readCachedConfig(config, key)).toBeDefined();
    await writeFile(config, `export default { root: 'b', ${RULES} };\n`);
    const second = await loadConfig(config, dir);
    expect(second.ok && second.value.root).toBe(path.join(dir, 'b'));
  });

  it('a cached config is validated like a fresh one', async () => {
    const config = path.join(dir, 'pipeline.config.ts');
    await writeFile(config, `export default { root: '.', rules: [] };\n`);
    const key = cacheKey(pureConfigSources(config)!);
    for (const attempt of [1, 2]) {
      const loaded = await loadConfig(config, dir);
      expect(loaded.ok, `load ${attempt}`).toBe(false);
      expect(readCachedConfig(config, key), `load ${attempt}`).toBeDefined();
    }
  });
});
