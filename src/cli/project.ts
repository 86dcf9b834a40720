/**
 * Config file → validated rules → target graph: everything a command needs to know about the
 * pipeline before doing anything. Each failure is a usage/config error (exit 2) with the file and
 * the key at fault.
 */
import path from 'node:path';
import { loadConfig, DEFAULT_CONFIG_FILE } from '../config/load.ts';
import { buildGraph, type TargetGraph } from '../graph/build-graph.ts';
import {
  checkedStages,
  resolvedFromCache,
  resolveStages,
  type CheckedStage,
  type ResolvedRule,
} from '../engine/resolve-stages.ts';
import { stageRegistry } from '../stages/registry.ts';
import { err, ok, type Result } from '../util/result.ts';

export interface Project {
  configFile: string;
  root: string;
  stateDir: string;
  rules: Map<string, ResolvedRule>;
  graph: TargetGraph;
}

export class UsageError {
  constructor(
    readonly message: string,
    readonly details: string[] = [],
    /** `missing-setting`: an API key or endpoint the environment lacks (a build with nothing to send goes on without it). */
    readonly kind?: 'missing-setting',
  ) {}
}

export async function loadProject(configPath: string | undefined, cwd: string): Promise<Result<Project, UsageError>> {
  const loaded = await loadConfig(configPath ?? DEFAULT_CONFIG_FILE, cwd);
  const shown = (file: string) => path.relative(cwd, file) || file;
  if (!loaded.ok) {
    const hint = loaded.error.issues.length > 0 ? ['fix the keys above in the config and run again'] : [];
    return err(
      new UsageError(`${shown(loaded.error.file)}: ${loaded.error.message}`, [
        ...loaded.error.issues.map((i) => `${i.path}: ${i.message}`),
        ...hint,
      ]),
    );
  }
  const { file, root, config } = loaded.value;
  const cached =
    loaded.value.checkedStages &&
    resolvedFromCache(config.rules, loaded.value.checkedStages as CheckedStage[], stageRegistry);
  const rules = cached ? ok(cached) : await resolveStages(config.rules, stageRegistry);
  if (!rules.ok)
    return err(
      new UsageError(
        `${shown(file)}: invalid config`,
        rules.error.map((i) => `${i.path}: ${i.message}`),
      ),
    );
  if (!cached) loaded.value.rememberChecked?.(checkedStages(rules.value));
  const graph = buildGraph(root, config.rules, config.stateDir);
  if (!graph.ok)
    return err(
      new UsageError(`${shown(file)}: ${graph.error.message}`, [`rules involved: ${graph.error.rules.join(', ')}`]),
    );
  return ok({ configFile: file, root, stateDir: config.stateDir, rules: rules.value, graph: graph.value });
}
