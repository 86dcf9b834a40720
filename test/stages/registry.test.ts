/**
 * The stage registry loads each stage's code on first use; what it declares up front (read by every
 * command) must be what the stage's own definition says. A rule's checked options are kept in the
 * config cache by a build of the tool, and that build alone reuses them; the fingerprint sees the
 * same identity either way.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/cli/project.ts';
import { loadConfig } from '../../src/config/load.ts';
import { configHash } from '../../src/engine/fingerprint.ts';
import { stageIdentity } from '../../src/engine/resolve-stages.ts';
import type { LazyStage, StageHook } from '../../src/stages/lazy-stage.ts';
import type { AnyStage } from '../../src/stages/types.ts';
import { stageRegistry } from '../../src/stages/registry.ts';
import { mmluConfig } from '../helpers/mmlu-config.ts';
import { structuredConfig } from '../helpers/structured-config.ts';

const HOOKS: StageHook[] = ['prepare', 'describe', 'estimate', 'cancel', 'cleanable'];
const build = globalThis as { __LLMAKE_BUILD_ID__?: string };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-registry-'));
});
afterEach(async () => {
  delete build.__LLMAKE_BUILD_ID__;
  await rm(dir, { recursive: true, force: true });
});

it.each([...stageRegistry.keys()])('%s: the registry declares what the stage defines', async (kind) => {
  const lazy: AnyStage & Pick<LazyStage<{ kind: string }>, 'load'> = stageRegistry.get(kind)!;
  const own: AnyStage = await lazy.load();
  const declared = (s: AnyStage) => [String(s.kind), s.version, s.remote, s.pure, s.inputBytesAtOnce];
  expect(declared(lazy)).toEqual(declared(own));
  expect(HOOKS.filter((h) => lazy[h] !== undefined)).toEqual(HOOKS.filter((h) => own[h] !== undefined));
  expect(lazy.describesWhenFresh === undefined).toBe(own.describesWhenFresh === undefined);
  for (const config of [{ schema: {} }, {}])
    expect(lazy.describesWhenFresh?.(config)).toBe(own.describesWhenFresh?.(config));
});

describe('checked stage options in the config cache', () => {
  const write = async (text: string) => writeFile(path.join(dir, 'pipeline.config.ts'), text);

  it('a build of the tool reuses what it checked; another build or the sources check again', async () => {
    await write(await mmluConfig('openai'));
    build.__LLMAKE_BUILD_ID__ = 'build-a';
    const first = await loadProject(undefined, dir);
    const cached = await loadConfig('pipeline.config.ts', dir);
    expect(cached.ok && cached.value.checkedStages).toHaveLength(3);
    const second = await loadProject(undefined, dir);
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    for (const [name, rule] of first.value.rules) {
      const again = second.value.rules.get(name)!;
      expect(again.config).toEqual(rule.config);
      expect(again.stage).toBe(rule.stage);
      expect(configHash(stageIdentity(again))).toBe(configHash(stageIdentity(rule)));
    }
    build.__LLMAKE_BUILD_ID__ = 'build-b';
    const other = await loadConfig('pipeline.config.ts', dir);
    expect(other.ok && other.value.checkedStages).toBeUndefined();
    delete build.__LLMAKE_BUILD_ID__;
    const sources = await loadConfig('pipeline.config.ts', dir);
    expect(sources.ok && sources.value.checkedStages).toBeUndefined();
  });

  it('the fingerprint sees the identity the stage gives (a reply schema as its JSON Schema), cached or not', async () => {
    // A zod schema in the config: not JSON, so never cached; its identity is the JSON Schema.
    await write(structuredConfig('openai', ''));
    build.__LLMAKE_BUILD_ID__ = 'build-a';
    const loaded = await loadProject(undefined, dir);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    for (const rule of loaded.value.rules.values()) {
      const validation = await rule.stage.validation();
      const own = validation.identity ? validation.identity(rule.config) : rule.config;
      expect(configHash(stageIdentity(rule))).toBe(
        configHash({ kind: rule.config.kind, version: rule.stage.version, config: own }),
      );
    }
    const again = await loadConfig('pipeline.config.ts', dir);
    expect(again.ok && again.value.checkedStages).toBeUndefined();
  });
});
