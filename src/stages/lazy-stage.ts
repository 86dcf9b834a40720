/**
 * A stage whose code is loaded on first use. The registry holds these, so a command that runs no
 * stage (a no-op build, `status` of finished work) loads neither the stages' code nor zod: its
 * validated config comes from the cache (config/config-cache.ts). What the engine reads on every
 * command (kind, version, remote, pure, inputBytesAtOnce, which hooks exist, describesWhenFresh) is declared here,
 * beside the loader; test/stages/registry.test.ts checks it against the loaded definition.
 */
import type { StageDefinition } from './types.ts';

export type StageHook = 'prepare' | 'describe' | 'estimate' | 'cancel' | 'cleanable';

export interface LazyStageSpec<Config extends { kind: string }> extends Pick<
  StageDefinition<Config>,
  'kind' | 'version' | 'remote' | 'pure' | 'inputBytesAtOnce' | 'describesWhenFresh'
> {
  /** The optional hooks the stage has. */
  hooks: readonly StageHook[];
  load(): Promise<StageDefinition<Config>>;
}

export interface LazyStage<Config extends { kind: string }> extends StageDefinition<Config> {
  readonly hooks: readonly StageHook[];
  /** The stage's own definition (loads its code). */
  load(): Promise<StageDefinition<Config>>;
}

export function lazyStage<Config extends { kind: string }>(spec: LazyStageSpec<Config>): LazyStage<Config> {
  let loading: Promise<StageDefinition<Config>> | undefined;
  const load = () => (loading ??= spec.load());
  const has = (hook: StageHook) => spec.hooks.includes(hook);
  return {
    kind: spec.kind,
    version: spec.version,
    remote: spec.remote,
    pure: spec.pure,
    hooks: spec.hooks,
    load,
    ...(spec.inputBytesAtOnce !== undefined ? { inputBytesAtOnce: spec.inputBytesAtOnce } : {}),
    ...(spec.describesWhenFresh ? { describesWhenFresh: spec.describesWhenFresh } : {}),
    validation: async () => (await load()).validation(),
    run: async (ctx, config) => (await load()).run(ctx, config),
    ...(has('prepare') ? { prepare: async (items, every) => (await load()).prepare!(items, every) } : {}),
    ...(has('describe') ? { describe: async (ctx, config) => (await load()).describe!(ctx, config) } : {}),
    ...(has('estimate') ? { estimate: async (ctx, config) => (await load()).estimate!(ctx, config) } : {}),
    ...(has('cancel') ? { cancel: async (ctx, config) => (await load()).cancel!(ctx, config) } : {}),
    ...(has('cleanable') ? { cleanable: async (ctx, config) => (await load()).cleanable!(ctx, config) } : {}),
  };
}
