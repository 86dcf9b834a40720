/**
 * The executor: advances every wanted target as far as it can right now. Targets run when their
 * inputs' targets are done; independent targets go on when one fails; a remote stage answering
 * pending holds back only its dependents. Outputs and records are committed atomically and only
 * after success (ninja's `FinishCommand` → `RecordCommand`).
 *
 *   wanted ─► inputs ready? ──no (failed/pending)──► blocked
 *                 │yes
 *                 ▼
 *           fresh? ──yes──► fresh
 *                 │no
 *                 ▼
 *           run stage ──► done ─► commit output, record fingerprint
 *                     ├─► pending (remote work in flight)
 *                     └─► failed ─► record failure (retried next build)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TargetGraph, TargetNode } from '../graph/build-graph.ts';
import type { StageServices } from '../stages/services.ts';
import type { StageOutcome, TargetContext } from '../stages/types.ts';
import type { Clock } from '../util/clock.ts';
import type { BuildEvent, BuildSummary, TargetResult } from './events.ts';
import { FileStamps } from './file-stamps.ts';
import { configHash } from './fingerprint.ts';
import { checkFreshness, isFreshByStamps, type StampsQuery } from './freshness.ts';
import { stageIdentity, type ResolvedRule } from './resolve-stages.ts';
import type { StageIdentity } from './fingerprint.ts';
import { runStage } from './run-stage.ts';
import { StateStore, type FileStamp, type TargetRecord } from './state-store.ts';
import { ByteGate } from './byte-gate.ts';
import { Semaphore } from './semaphore.ts';

export interface BuildOptions {
  root: string;
  stateDir: string;
  graph: TargetGraph;
  rules: ReadonlyMap<string, ResolvedRule>;
  /** The targets asked for; their dependencies are built as needed. */
  requested: readonly string[];
  services: StageServices;
  clock: Clock;
  signal: AbortSignal;
  /** Rebuild the requested targets even when up to date. */
  force?: boolean;
  /** Change nothing: report what would run, with estimates from remote stages. */
  dryRun?: boolean;
  concurrency?: number;
  onEvent: (event: BuildEvent) => void;
  /** Shared with the caller so tests can count hashing work, or so a first check's stats are reused. */
  stamps?: FileStamps;
  /** The targets' records, when the caller has read them already (under the build lock): one read per command. */
  store?: StateStore;
  /**
   * The wanted targets the caller already proved up to date by their records (freshByStamps with
   * these `stamps` and `store`, the forced ones excluded), so a no-op checks each target once.
   */
  provenFresh?: ReadonlySet<string>;
  /**
   * Results that stand for this run: these targets are neither checked nor run again, and emit
   * no event; their dependents see them as they are. `build --wait` carries a target that
   * failed in an earlier cycle (retrying it every cycle could resubmit a rejected batch
   * forever) and one whose batches were cancelled on request (re-running it would send them
   * again).
   */
  carried?: ReadonlyMap<string, TargetResult>;
}

export async function runBuild(opts: BuildOptions): Promise<BuildSummary> {
  const store = opts.store ?? new StateStore(path.join(opts.root, opts.stateDir));
  const stamps = opts.stamps ?? new FileStamps();
  const wanted = withDependencies(opts.graph, opts.requested);
  const gate = new Semaphore(opts.concurrency ?? Math.max(4, os.availableParallelism() * 2));
  /** A stage that bounds the input bytes its targets read at once waits on its own gate first, so it never holds a slot of the build's while it waits. */
  const byteGates = new Map<ResolvedRule['stage'], ByteGate>();
  const gated = <T>(stage: ResolvedRule['stage'], inputBytes: number, work: () => Promise<T>): Promise<T> => {
    if (stage.inputBytesAtOnce === undefined) return gate.run(work);
    let own = byteGates.get(stage);
    if (!own) byteGates.set(stage, (own = new ByteGate(stage.inputBytesAtOnce)));
    return own.run(inputBytes, () => gate.run(work));
  };
  /**
   * Freshness checks (record read, stats, maybe hashing) are bounded too: tens of thousands of
   * targets checked at once would run out of file descriptors.
   */
  const checks = new Semaphore(64);
  const scratch = opts.dryRun ? await mkdtemp(path.join(os.tmpdir(), 'pipeline-dry-run-')) : undefined;
  /** In a dry run, outputs rebuilt into the scratch dir stand in for the real ones downstream. */
  const relocated = new Map<string, string>();
  const locate = (p: string) => relocated.get(p) ?? path.join(opts.root, p);
  const results = new Map<string, Promise<TargetResult>>();
  const force = new Set(opts.force ? opts.requested : []);

  // A remote stage is prepared (its ledgers read, its batches polled) only when one of its targets
  // is about to run or be estimated: a no-op never pays for it.
  const prepare = remoteStagePreparer(opts, wanted, locate);

  // The no-op fast path: targets proven up to date by their records alone emit `fresh` at once.
  const excluded = new Set([...force, ...(opts.carried?.keys() ?? [])]);
  const proven =
    opts.provenFresh ??
    freshByStamps({ root: opts.root, graph: opts.graph, rules: opts.rules, store, stamps }, wanted, excluded);
  const settledFresh = new Map<string, TargetResult>();
  // All of the graph proven (a plain no-op): its nodes in order, without looking each one up.
  const provenNodes: Iterable<TargetNode> =
    proven.size === opts.graph.targets.size
      ? opts.graph.targets.values()
      : [...proven].map((id) => opts.graph.targets.get(id)!);
  for (const { id, rule: ruleConfig } of provenNodes) {
    const rule = ruleConfig.name;
    opts.onEvent({ type: 'fresh', target: id, rule });
    settledFresh.set(id, { target: id, rule, state: 'fresh' });
  }
  // Everything up to date (the common re-run): no promise per target.
  if (settledFresh.size === wanted.length) {
    if (scratch) await rm(scratch, { recursive: true, force: true });
    return { results: settledFresh, requested: [...opts.requested] };
  }
  for (const [id, result] of settledFresh) results.set(id, Promise.resolve(result));

  const settle = (node: TargetNode): Promise<TargetResult> => {
    let result = results.get(node.id);
    if (!result) {
      const carried = opts.carried?.get(node.id);
      result = carried
        ? Promise.resolve(carried)
        : (async () => {
            const resolved = opts.rules.get(node.rule.name)!;
            const base = { target: node.id, rule: node.rule.name };
            const deps = await Promise.all(node.deps.map((d) => settle(opts.graph.targets.get(d)!)));
            const stuck =
              deps.find((d) => d.state === 'failed' || (d.state === 'blocked' && d.blockedBecause === 'failed')) ??
              deps.find(
                (d) =>
                  d.state === 'pending' ||
                  d.state === 'blocked' ||
                  (d.state === 'would-run' && !relocated.has(d.target)),
              );
            if (stuck) {
              const because = stuck.state === 'failed' || stuck.blockedBecause === 'failed' ? 'failed' : 'pending';
              if (opts.dryRun && because === 'pending') {
                const reasons = [`input ${stuck.target} will be rebuilt first`];
                opts.onEvent({ type: 'would-run', ...base, reasons });
                return { ...base, state: 'would-run', reasons };
              }
              const waitingOn = stuck.waitingOn ?? stuck.target;
              opts.onEvent({ type: 'blocked', ...base, waitingOn, because });
              return { ...base, state: 'blocked', waitingOn, blockedBecause: because };
            }
            const identity = stageIdentity(resolved);
            const { record, freshness } = await checks.run(async () => {
              const record = await store.read(node.id);
              const freshness = await checkFreshness({
                root: opts.root,
                target: node.id,
                inputs: node.inputs,
                locate,
                stage: identity,
                record,
                stamps,
              });
              if (freshness.fresh && freshness.recordStale && !opts.dryRun && record && !force.has(node.id)) {
                await store.write({ ...record, inputs: freshness.inputs, output: freshness.outputStamp });
              }
              return { record, freshness };
            });
            if (freshness.fresh && !force.has(node.id)) {
              opts.onEvent({ type: 'fresh', ...base });
              return { ...base, state: 'fresh' };
            }
            const reasons = freshness.fresh ? ['forced (--force)'] : freshness.reasons;
            if (!freshness.fresh && freshness.missingInputs.length > 0) {
              const missing = freshness.missingInputs[0]!;
              const failure = {
                reason: 'bad-input' as const,
                message: `input ${missing} does not exist`,
                file: missing,
              };
              opts.onEvent({ type: 'failed', ...base, failure });
              return { ...base, state: 'failed', failure };
            }
            const ctx: TargetContext = {
              ...contextFor(opts, node, locate),
              fingerprint: freshness.fingerprint,
              force: force.has(node.id),
            };
            await prepare(resolved.stage);
            if (opts.dryRun) {
              return await gate.run(async () => {
                if (resolved.stage.pure && scratch) {
                  const out = path.join(scratch, node.id);
                  const outcome = await runStage(resolved.stage, resolved.config, { ...ctx, output: out }, stamps);
                  if (outcome.kind === 'failed') {
                    opts.onEvent({ type: 'failed', ...base, failure: outcome.failure });
                    return { ...base, state: 'failed' as const, failure: outcome.failure };
                  }
                  relocated.set(node.id, out);
                }
                const estimate = resolved.stage.estimate
                  ? await resolved.stage.estimate(ctx, resolved.config)
                  : undefined;
                opts.onEvent({ type: 'would-run', ...base, reasons, ...(estimate ? { estimate } : {}) });
                return { ...base, state: 'would-run' as const, reasons, ...(estimate ? { estimate } : {}) };
              });
            }
            // A forced remote target may send new work: its old record goes first, so that a crash
            // before the outcome is known leaves the target stale (collected next time), not up to date.
            if (record && resolved.stage.remote && !record.failure && !record.inFlight) await store.remove(node.id);
            opts.onEvent({ type: 'start', ...base, reasons });
            const started = opts.clock.now();
            const inputBytes = Object.values(freshness.inputs).reduce((sum, input) => sum + input.size, 0);
            const outcome: StageOutcome = await gated(resolved.stage, inputBytes, () =>
              runStage(resolved.stage, resolved.config, ctx, stamps),
            );
            const recordBase = {
              version: 1 as const,
              target: node.id,
              rule: node.rule.name,
              configHash: configHash(identity),
              fingerprint: freshness.fingerprint,
              inputs: freshness.inputs,
            };
            switch (outcome.kind) {
              case 'done': {
                const output = await stamps.stamp(ctx.output);
                if (!output) throw new Error(`Internal error: ${node.id} is done but its output is missing`);
                await store.write({
                  ...recordBase,
                  output,
                  builtAt: opts.clock.now(),
                  ...(outcome.usage ? { usage: outcome.usage } : {}),
                  ...(outcome.costUsd !== undefined ? { costUsd: outcome.costUsd } : {}),
                  ...(outcome.retry ? { retry: outcome.retry } : {}),
                });
                opts.onEvent({ type: 'done', ...base, ...pick(outcome), ms: opts.clock.now() - started });
                return {
                  ...base,
                  state: 'built',
                  ...(outcome.usage ? { usage: outcome.usage } : {}),
                  ...(outcome.costUsd !== undefined ? { costUsd: outcome.costUsd } : {}),
                };
              }
              case 'pending':
                // Work in flight (even sent by a forced rebuild of an up-to-date target) must be
                // collected by the next build: no record may call the target up to date meanwhile.
                // The one kept says so, with the inputs' stamps: the next status or build stats
                // the request files instead of hashing them again (gigabytes at a million requests).
                await recordInFlight(store, record, { ...recordBase, fingerprint: '', inFlight: true });
                opts.onEvent({
                  type: 'pending',
                  ...base,
                  progress: outcome.progress,
                  summary: outcome.summary,
                  ...(outcome.state ? { state: outcome.state } : {}),
                  ...(outcome.money ? { money: outcome.money } : {}),
                  ...(outcome.failure ? { failure: outcome.failure } : {}),
                });
                return {
                  ...base,
                  state: 'pending',
                  progress: outcome.progress,
                  ...(outcome.failure ? { failure: outcome.failure } : {}),
                };
              case 'failed':
                await store.recordFailure(recordBase, outcome.failure, opts.clock.now(), outcome.usage);
                opts.onEvent({ type: 'failed', ...base, failure: outcome.failure });
                return { ...base, state: 'failed', failure: outcome.failure };
            }
          })();
      results.set(node.id, result);
    }
    return result;
  };

  try {
    const settled = await Promise.all(wanted.map((id) => settle(opts.graph.targets.get(id)!)));
    return { results: new Map(settled.map((r) => [r.target, r])), requested: [...opts.requested] };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** Writes the in-flight record, unless the same one is on record already (a `--wait` cycle per target). */
async function recordInFlight(
  store: StateStore,
  before: TargetRecord | undefined,
  record: TargetRecord,
): Promise<void> {
  const same =
    before?.inFlight &&
    before.configHash === record.configHash &&
    Object.keys(before.inputs).length === Object.keys(record.inputs).length &&
    Object.entries(record.inputs).every(([input, stamp]) => sameStamp(before.inputs[input], stamp));
  if (!same) await store.write(record);
}

function sameStamp(a: FileStamp | undefined, b: FileStamp): boolean {
  return a !== undefined && a.sha256 === b.sha256 && a.mtimeMs === b.mtimeMs && a.size === b.size;
}

function pick(outcome: Extract<StageOutcome, { kind: 'done' }>) {
  return {
    ...(outcome.summary ? { summary: outcome.summary } : {}),
    ...(outcome.usage ? { usage: outcome.usage } : {}),
    ...(outcome.costUsd !== undefined ? { costUsd: outcome.costUsd } : {}),
  };
}

/**
 * The targets of `wanted` (in dependency order) that are up to date by their records alone, decided
 * synchronously without hashing (isFreshByStamps): a target whose inputs' targets are all in the set
 * and whose record still matches every file's mtime and size. The rest need the full check.
 */
export function freshByStamps(
  opts: Pick<BuildOptions, 'root' | 'graph' | 'rules'> & { store: StateStore; stamps: FileStamps },
  wanted: readonly string[],
  /** Targets that must take the full path (forced, or carried from an earlier cycle), and so their dependents. */
  excluded: ReadonlySet<string> = new Set(),
): Set<string> {
  const fresh = new Set<string>();
  const identities = new Map<string, StageIdentity>();
  // One query, refilled per target: tens of thousands of targets, no object or closure for each.
  let id = '';
  const query: StampsQuery = {
    root: opts.root,
    target: '',
    inputs: [],
    stage: undefined as unknown as StageIdentity,
    recorded: undefined,
    record: () => opts.store.readSync(id),
    stamps: opts.stamps,
  };
  // `wanted` is in graph order (withDependencies): all of it is the graph's nodes, walked without a lookup each.
  const nodes: Iterable<TargetNode> =
    wanted.length === opts.graph.targets.size
      ? opts.graph.targets.values()
      : wanted.map((w) => opts.graph.targets.get(w)!);
  for (const node of nodes) {
    id = node.id;
    if (excluded.has(id) || !allIn(node.deps, fresh)) continue;
    let stage = identities.get(node.rule.name);
    if (!stage) identities.set(node.rule.name, (stage = stageIdentity(opts.rules.get(node.rule.name)!)));
    query.target = id;
    query.inputs = node.inputs;
    query.stage = stage;
    query.recorded = opts.store.stampsSync(id);
    if (isFreshByStamps(query)) fresh.add(id);
  }
  return fresh;
}

function allIn(ids: readonly string[], set: ReadonlySet<string>): boolean {
  for (let i = 0; i < ids.length; i++) if (!set.has(ids[i]!)) return false;
  return true;
}

/** The requested targets and everything they depend on, in graph (topological) order. */
export function withDependencies(graph: TargetGraph, requested: readonly string[]): string[] {
  // The whole graph in its own order (a plain `build` or `status`): nothing to walk. Compared
  // position by position, not through a set of tens of thousands of names.
  if (requested.length === graph.targets.size) {
    let i = 0;
    let same = true;
    for (const id of graph.targets.keys())
      if (requested[i++] !== id) {
        same = false;
        break;
      }
    if (same) return requested.slice();
  }
  const want = new Set<string>();
  const add = (id: string) => {
    if (want.has(id)) return;
    want.add(id);
    for (const d of graph.targets.get(id)?.deps ?? []) add(d);
  };
  requested.forEach(add);
  return [...graph.targets.keys()].filter((id) => want.has(id));
}

type ContextOptions = Pick<BuildOptions, 'root' | 'stateDir' | 'services' | 'clock' | 'signal'>;

/**
 * Lets each remote stage see all its targets of this build at once (bulk polling, scheduling),
 * and every target it has in the pipeline (limits that span the whole job, whatever is selected).
 * The returned function prepares a stage on its first call and returns the same promise after.
 */
export function remoteStagePreparer(
  opts: ContextOptions & Pick<BuildOptions, 'graph' | 'rules'>,
  wanted: readonly string[],
  locate?: (p: string) => string,
): (stage: ResolvedRule['stage']) => Promise<void> {
  const prepared = new Map<ResolvedRule['stage'], Promise<void>>();
  return (stage) => {
    if (!stage.prepare) return Promise.resolve();
    let done = prepared.get(stage);
    if (!done) {
      done = prepareStage(opts, stage, new Set(wanted), locate);
      prepared.set(stage, done);
    }
    return done;
  };
}

async function prepareStage(
  opts: ContextOptions & Pick<BuildOptions, 'graph' | 'rules'>,
  stage: ResolvedRule['stage'],
  chosen: ReadonlySet<string>,
  locate?: (p: string) => string,
): Promise<void> {
  type Items = { ctx: TargetContext; config: unknown }[];
  const selected: Items = [];
  const every: Items = [];
  for (const node of opts.graph.targets.values()) {
    const resolved = opts.rules.get(node.rule.name)!;
    if (resolved.stage !== stage) continue;
    const item = { ctx: contextFor(opts, node, chosen.has(node.id) ? locate : undefined), config: resolved.config };
    every.push(item);
    if (chosen.has(node.id)) selected.push(item);
  }
  if (selected.length > 0) await stage.prepare?.(selected, every);
}

export function contextFor(
  opts: ContextOptions,
  node: TargetNode,
  locate: (p: string) => string = (p) => path.join(opts.root, p),
): TargetContext {
  return {
    rule: node.rule.name,
    target: node.id,
    root: opts.root,
    stateDir: path.resolve(opts.root, opts.stateDir),
    inputs: node.inputs.map(locate),
    output: path.join(opts.root, node.id),
    tempOutput: '',
    bindings: node.bindings,
    fingerprint: '',
    ...(node.marker ? { marker: path.join(opts.root, node.marker) } : {}),
    force: false,
    signal: opts.signal,
    clock: opts.clock,
    services: opts.services,
  };
}
