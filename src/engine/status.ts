/**
 * `pipeline status`: each target's state and why, computed with the same freshness check as a
 * build but without running anything or taking the lock. Remote stages add their progress from
 * their ledgers (refreshed by one shared poll when a key is available).
 */
import path from 'node:path';
import type { RemoteStatus, ReplyCounts } from '../stages/types.ts';
import { contextFor, remoteStagePreparer, withDependencies, type BuildOptions } from './build.ts';
import { FileStamps } from './file-stamps.ts';
import { checkFreshness, isFreshByStamps } from './freshness.ts';
import { stageIdentity } from './resolve-stages.ts';
import { StateStore } from './state-store.ts';

export type StatusState = 'up-to-date' | 'stale' | 'failed' | 'pending' | 'queued' | 'waiting' | 'missing-input';

export interface TargetStatus {
  target: string;
  rule: string;
  /**
   * The target's stage talks to a provider: its tokens and dollars are its own. Local stages
   * may repeat them (a merge shows its batch's tokens), so totals add up remote targets only.
   */
  remoteStage: boolean;
  state: StatusState;
  /** Why the target is not up to date (or what failed). */
  reasons: string[];
  failure?: { reason: string; message: string; file?: string; line?: number; details?: string[] };
  remote?: RemoteStatus;
  /** With a reply schema: how the target's replies stand (valid, invalid, re-asked). */
  replies?: ReplyCounts;
  usage?: { input: number; output: number };
  costUsd?: number;
  builtAt?: number;
}

/** The build's options, less what only running needs. */
export type StatusOptions = Pick<
  BuildOptions,
  | 'root'
  | 'stateDir'
  | 'graph'
  | 'rules'
  | 'requested'
  | 'services'
  | 'clock'
  | 'signal'
  | 'stamps'
  | 'store'
  | 'provenFresh'
>;

export async function collectStatus(opts: StatusOptions): Promise<TargetStatus[]> {
  const store = opts.store ?? new StateStore(path.join(opts.root, opts.stateDir));
  const stamps = opts.stamps ?? new FileStamps();
  const wanted = withDependencies(opts.graph, opts.requested);
  // The shared poll is needed only for targets that are not up to date: a no-op status never polls.
  const prepare = remoteStagePreparer(opts, wanted);

  const statuses = new Map<string, TargetStatus>();
  for (const id of wanted) {
    const node = opts.graph.targets.get(id)!;
    const resolved = opts.rules.get(node.rule.name)!;
    // A clean record's stamps and spend are read without parsing the record (the common case).
    const recorded = store.stampsSync(id);
    const stage = stageIdentity(resolved);
    const query = { root: opts.root, target: id, inputs: node.inputs, stage, stamps };
    // Up to date by mtime and size alone (the common case), or the full check with hashing.
    const fresh =
      opts.provenFresh?.has(id) || isFreshByStamps({ ...query, recorded, record: () => store.readSync(id) });
    const record = fresh ? undefined : store.readSync(id);
    const freshness = fresh
      ? ({ fresh: true } as const)
      : await checkFreshness({ ...query, record, locate: (p) => path.join(opts.root, p) });
    const spent = recorded ?? record;
    const base: TargetStatus = {
      target: id,
      rule: node.rule.name,
      remoteStage: resolved.stage.remote,
      state: 'up-to-date',
      reasons: [],
      ...(spent?.usage ? { usage: spent.usage } : {}),
      ...(spent?.costUsd !== undefined ? { costUsd: spent.costUsd } : {}),
      ...(spent?.builtAt ? { builtAt: spent.builtAt } : {}),
    };
    const upstream = node.deps.map((d) => statuses.get(d)!).find((s) => s.state !== 'up-to-date');
    let status: TargetStatus;
    if (freshness.fresh) status = base;
    else if (record?.failure)
      status = { ...base, state: 'failed', reasons: [record.failure.message], failure: record.failure };
    else if (upstream && freshness.missingInputs.length > 0)
      status = { ...base, state: 'waiting', reasons: [`waiting for ${upstream.target}`] };
    else if (freshness.missingInputs.length > 0)
      status = { ...base, state: 'missing-input', reasons: freshness.reasons };
    else
      status = {
        ...base,
        state: upstream ? 'waiting' : 'stale',
        reasons: upstream ? [`waiting for ${upstream.target}`, ...freshness.reasons] : freshness.reasons,
      };

    if (resolved.stage.describe && status.state !== 'up-to-date') {
      await prepare(resolved.stage);
      const remote = await resolved.stage.describe(contextFor(opts, node), resolved.config);
      if (remote.state !== 'none') {
        status.remote = remote;
        if (remote.usage) status.usage = remote.usage;
        if (remote.costUsd !== undefined) status.costUsd = remote.costUsd;
        if (remote.state === 'queued') status.state = 'queued';
        else if (remote.state === 'failed') status.state = 'failed';
        else if (remote.state !== 'complete') status.state = 'pending';
        if (remote.summary)
          status.reasons = [remote.summary, ...status.reasons.filter((r) => !r.startsWith('never built'))];
        // Pending and failed at once: work still in flight, and a failure that stands once it is in.
        if (remote.failure) status.failure = remote.failure;
      }
    } else if (resolved.stage.describe && resolved.stage.describesWhenFresh?.(resolved.config)) {
      // Up to date: only the reply counts are news (how many replies were invalid, re-asked).
      const remote = await resolved.stage.describe(contextFor(opts, node), resolved.config);
      if (remote.replies) status.replies = remote.replies;
    }
    if (status.remote?.replies) status.replies = status.remote.replies;
    statuses.set(id, status);
  }
  return [...statuses.values()];
}
