/**
 * Statuses (the same model as `pipeline status --json`) → the page's snapshot: per-target rows
 * with money spent and still expected, totals, the laid-out graph, money per subject and the
 * answered-requests timeline. Keeps what is costly to recompute (dry-run estimates, results-file
 * history) between refreshes.
 */
import path from 'node:path';
import { contextFor } from '../engine/build.ts';
import { collectStatus, type StatusState, type TargetStatus } from '../engine/status.ts';
import type { ResolvedRule } from '../engine/resolve-stages.ts';
import type { TargetGraph } from '../graph/build-graph.ts';
import { drawGraph, type GraphDrawing } from '../graph/drawing.ts';
import type { StageServices } from '../stages/services.ts';
import type { Progress, RemoteStatus } from '../stages/types.ts';
import { systemClock } from '../util/clock.ts';
import { withDependencies } from '../engine/build.ts';
import { AnswerTimeline } from './answer-timeline.ts';
import { DryRunEstimates } from './dry-run-estimates.ts';
import { layoutGraph } from './graph-layout.ts';
import { inFlightExpectedUsd } from './in-flight-cost.ts';
import type { PipelineFiles } from './pipeline-files.ts';
import type { SourceInfo } from './progress-source.ts';
import { RememberedStamps, type StampMemory } from './remembered-stamps.ts';
import { rowShapeOf } from './row-shape.ts';
import type { ViewGroupMoney, ViewSnapshot, ViewTarget, ViewTotals } from './snapshot.ts';

export interface ViewProject {
  root: string;
  stateDir: string;
  configFile: string;
  graph: TargetGraph;
  rules: ReadonlyMap<string, ResolvedRule>;
}

const IN_FLIGHT: ReadonlySet<StatusState> = new Set(['pending', 'queued']);

export class SnapshotBuilder {
  readonly #estimates: DryRunEstimates;
  readonly #timeline: AnswerTimeline;
  readonly #drawing: GraphDrawing;
  readonly #wanted: string[];
  readonly #hashes: StampMemory = new Map();

  constructor(
    private readonly project: ViewProject,
    requested: readonly string[],
    private readonly files: PipelineFiles,
    private readonly signal: AbortSignal,
  ) {
    this.#wanted = withDependencies(project.graph, requested);
    this.#estimates = new DryRunEstimates({ ...project, signal }, () => new RememberedStamps(this.#hashes));
    this.#timeline = new AnswerTimeline(files);
    this.#drawing = drawGraph(project.graph, this.#wanted);
  }

  /** What `pipeline status` would say now, in-flight batches refreshed through `services` if any. */
  statuses(services: StageServices): Promise<TargetStatus[]> {
    const { root, stateDir, graph, rules } = this.project;
    const stamps = new RememberedStamps(this.#hashes);
    return collectStatus({
      root,
      stateDir,
      graph,
      rules,
      requested: this.#wanted,
      services,
      clock: systemClock,
      signal: this.signal,
      stamps,
    });
  }

  /** Waits for the money estimate under way (a one-off page wants it complete). */
  settled(): Promise<void> {
    return this.#estimates.settled();
  }

  async build(statuses: readonly TargetStatus[], source: SourceInfo, build?: string): Promise<ViewSnapshot> {
    const now = Date.now();
    this.#estimates.update(statuses);
    const targets = await Promise.all(statuses.map((s) => this.#target(s)));
    const remote = targets.filter((t) => t.remote);
    const resultsFiles = new Map(remote.map((t) => [t.target, t.target]));
    await this.#timeline.refreshHistory(resultsFiles);
    this.#timeline.sample(
      now,
      new Map(remote.filter((t) => IN_FLIGHT.has(t.state) && t.progress).map((t) => [t.target, t.progress!.done])),
    );
    const inFlight = targets.some((t) => IN_FLIGHT.has(t.state));
    const note = [source.note, inFlight ? source.staleNote : undefined, this.#estimates.problem]
      .filter(Boolean)
      .join('; ');
    return {
      generatedAt: now,
      root: this.project.root,
      configFile: this.project.configFile,
      source: { kind: source.kind, ...(note ? { note } : {}) },
      ...(build ? { build } : {}),
      totals: totalsOf(targets, this.#estimates.estimating),
      targets,
      graph: layoutGraph(this.#drawing, new Map(statuses.map((s) => [s.target, { state: s.state, rule: s.rule }]))),
      money: moneyByGroup(remote),
      timeline: this.#timeline.points(),
    };
  }

  async #target(s: TargetStatus): Promise<ViewTarget> {
    const { graph, rules, root, stateDir } = this.project;
    const node = graph.targets.get(s.target)!;
    const resolved = rules.get(s.rule)!;
    // Up-to-date targets are not described by `status`; their ledger still knows their requests.
    const remoteStatus: RemoteStatus | undefined =
      s.remote ??
      (resolved.stage.describe
        ? await resolved.stage
            .describe(
              contextFor({ root, stateDir, services: {}, clock: systemClock, signal: this.signal }, node),
              resolved.config,
            )
            .catch(() => undefined)
        : undefined);
    const progress: Progress | undefined = remoteStatus?.progress;
    const usage = s.usage ?? remoteStatus?.usage;
    const remote = resolved.stage.remote;
    let expectedUsd: number | undefined;
    if (s.state === 'up-to-date') expectedUsd = remote ? 0 : undefined;
    else if (remote) {
      const notSent = this.#estimates.costOf(s.target);
      const inFlight =
        node.marker && IN_FLIGHT.has(s.state)
          ? await inFlightExpectedUsd(path.join(root, node.marker), root, progress?.done)
          : 0;
      expectedUsd = notSent === undefined && this.#estimates.estimating ? undefined : (notSent ?? 0) + inFlight;
    }
    const remoteState =
      s.remote && s.remote.state !== 'none' && s.remote.state !== 'complete' ? s.remote.state : undefined;
    return {
      target: s.target,
      rule: s.rule,
      state: s.state,
      ...(remoteState ? { remoteState } : {}),
      reasons: s.reasons,
      ...(s.failure ? { failure: s.failure } : {}),
      ...(s.remote?.failures?.length ? { remoteFailures: s.remote.failures } : {}),
      ...(progress ? { progress } : {}),
      ...(usage ? { usage } : {}),
      ...(s.costUsd !== undefined
        ? { spentUsd: s.costUsd }
        : remoteStatus?.costUsd !== undefined
          ? { spentUsd: remoteStatus.costUsd }
          : {}),
      ...(expectedUsd !== undefined ? { expectedUsd } : {}),
      ...(s.remote?.inFlightSince !== undefined ? { inFlightSince: s.remote.inFlightSince } : {}),
      ...(s.builtAt !== undefined ? { builtAt: s.builtAt } : {}),
      group: Object.values(node.bindings).join('/') || s.target,
      remote,
      rows: rowShapeOf(graph, rules, s.target) !== undefined,
    };
  }
}

/** Tokens, dollars and requests count the targets that pay a provider (merges repeat their tokens). */
function totalsOf(targets: readonly ViewTarget[], estimating: boolean): ViewTotals {
  const totals: ViewTotals = {
    targets: targets.length,
    byState: {},
    requests: { done: 0, total: 0, failed: 0 },
    tokens: { input: 0, output: 0 },
    spentUsd: 0,
    expectedUsd: 0,
    estimating,
  };
  for (const t of targets) {
    totals.byState[t.state] = (totals.byState[t.state] ?? 0) + 1;
    if (!t.remote) continue;
    totals.requests.done += t.progress?.done ?? 0;
    totals.requests.total += t.progress?.total ?? 0;
    totals.requests.failed += t.progress?.failed ?? 0;
    totals.tokens.input += t.usage?.input ?? 0;
    totals.tokens.output += t.usage?.output ?? 0;
    totals.spentUsd += t.spentUsd ?? 0;
    totals.expectedUsd += t.expectedUsd ?? 0;
    if (t.inFlightSince !== undefined)
      totals.oldestInFlightSince = Math.min(totals.oldestInFlightSince ?? Infinity, t.inFlightSince);
  }
  return totals;
}

function moneyByGroup(remote: readonly ViewTarget[]): ViewGroupMoney[] {
  const groups = new Map<string, ViewGroupMoney>();
  for (const t of remote) {
    const g = groups.get(t.group) ?? { group: t.group, spentUsd: 0, expectedUsd: 0, input: 0, output: 0 };
    g.spentUsd += t.spentUsd ?? 0;
    g.expectedUsd += t.expectedUsd ?? 0;
    g.input += t.usage?.input ?? 0;
    g.output += t.usage?.output ?? 0;
    groups.set(t.group, g);
  }
  return [...groups.values()].sort((a, b) => a.group.localeCompare(b.group));
}
