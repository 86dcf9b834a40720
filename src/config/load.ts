/**
 * Loads `pipeline.config.ts` with tsx (TypeScript, no build step) and validates it. Every problem
 * comes back as a value naming the file and the key, never as a stack trace. A config whose value
 * depends only on its files' content is evaluated once per content (config-cache.ts): tsx and its
 * loader thread are then not started at all, which is most of a no-op's start-up.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { err, ok, type Result } from '../util/result.ts';
import { buildId } from '../util/build-id.ts';
import { cacheKey, readCachedConfig, writeCachedConfig } from './config-cache.ts';
import { pureConfigSources } from './config-sources.ts';
import type { ConfigIssue, PipelineConfig } from './schema.ts';

export interface LoadedConfig {
  /** Absolute path of the config file. */
  file: string;
  /** Absolute pipeline root. */
  root: string;
  config: PipelineConfig;
  /** Each rule's checked stage options, when the cache had them from this build (resolve-stages.ts). */
  checkedStages?: unknown[];
  /** Keeps the rules' checked stage options with the config, for the next command; absent when it cannot be cached. */
  rememberChecked?(stages: unknown[]): void;
}

export interface ConfigError {
  file: string;
  message: string;
  issues: ConfigIssue[];
}

export const DEFAULT_CONFIG_FILE = 'pipeline.config.ts';

let importCounter = 0;

export async function loadConfig(configPath: string, cwd = process.cwd()): Promise<Result<LoadedConfig, ConfigError>> {
  const file = path.resolve(cwd, configPath);
  if (!existsSync(file)) {
    return err({ file, message: `config file not found: ${file}`, issues: [] });
  }
  const sources = pureConfigSources(file);
  const key = sources && cacheKey(sources);
  const cached = key ? readCachedConfig(file, key) : undefined;
  const build = buildId();
  const validated = build !== undefined && cached?.validated?.build === build ? cached.validated : undefined;
  if (validated) {
    // Checked by this very build before: no zod, no re-validation.
    const config = validated.config as PipelineConfig;
    return ok({ file, root: path.resolve(path.dirname(file), config.root), config, checkedStages: validated.stages });
  }
  let exported: unknown = cached?.exported;
  // Whether `exported` is the value of the files `key` names (they did not change while it was evaluated).
  let keyed = cached !== undefined;
  if (!cached) {
    try {
      exported = await evaluate(file);
    } catch (error) {
      return err({ file, message: `cannot load the config: ${firstLine(error)}`, issues: [] });
    }
    const after = key && pureConfigSources(file);
    keyed = !!key && !!after && cacheKey(after) === key;
    if (key && keyed && exported !== undefined) writeCachedConfig(file, key, exported);
  }
  if (exported === undefined) {
    return err({
      file,
      message: 'the config has no default export (export default definePipeline({...}))',
      issues: [],
    });
  }
  // zod is loaded only here, when a config is validated.
  const { issuesFromZod, pipelineSchema } = await import('./schema.ts');
  const parsed = pipelineSchema.safeParse(exported);
  if (!parsed.success) {
    return err({ file, message: 'invalid config', issues: issuesFromZod(parsed.error) });
  }
  const root = path.resolve(path.dirname(file), parsed.data.root);
  const config = parsed.data;
  return ok({
    file,
    root,
    config,
    ...(key && keyed && build !== undefined
      ? { rememberChecked: (stages: unknown[]) => writeCachedConfig(file, key, exported, { build, config, stages }) }
      : {}),
  });
}

async function evaluate(file: string): Promise<unknown> {
  const { tsImport } = await import('tsx/esm/api');
  // A fresh query per load so `watch` sees edits instead of Node's cached module.
  const url = `${pathToFileURL(file).href}?load=${++importCounter}`;
  const mod = (await tsImport(url, import.meta.url)) as { default?: unknown };
  let exported = mod.default;
  // Outside a `"type": "module"` package, tsx loads the config as CommonJS and nests the export.
  if (typeof exported === 'object' && exported !== null && 'default' in exported && !('rules' in exported)) {
    exported = exported.default;
  }
  return exported;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').slice(0, 3).join(' ').trim();
}
