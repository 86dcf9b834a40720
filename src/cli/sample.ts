/**
 * `build --sample N`: try a job on a few rows online before paying for all of it. For each
 * selected `batch` or `online` target, its inputs are built as usual, then the first N requests of
 * its request file are sent through the online endpoint, and their raw results are written beside
 * the output as `<output>.sample.jsonl`. The target itself is left as it was (not done, not
 * failed). The answers land in the target's request cache, so the real build does not pay for
 * those N requests again.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { contextFor } from '../engine/build.ts';
import type { Project } from './project.ts';
import type { StageServices } from '../stages/services.ts';
import { onlineConfigSchema, type OnlineStageConfig } from '../stages/online/config.ts';
import { readRequestFile } from '../stages/work/request-file.ts';
import { DEFAULT_PROVIDER, providerSpec } from '../providers/registry.ts';
import { runOnline } from '../stages/online/run.ts';
import { commitFile, tempPathFor } from '../util/fs-atomic.ts';
import { formatUsd } from '../tokens/prices.ts';
import type { Clock } from '../util/clock.ts';
import type { Output } from '../report/terminal.ts';

export interface SampleTarget {
  target: string;
  /** Online options: the rule's own for an `online` rule, defaults (and its attempts) for a `batch` one. */
  config: OnlineStageConfig;
}

/** The selected targets a sample applies to. */
export function sampleTargets(project: Project, wanted: readonly string[]): SampleTarget[] {
  const out: SampleTarget[] = [];
  for (const id of wanted) {
    const resolved = project.rules.get(project.graph.targets.get(id)!.rule.name)!;
    const config = resolved.config as {
      kind: string;
      maxAttempts?: number;
      pricing?: unknown;
      deployments?: unknown;
      maxCostUsd?: number;
    };
    if (config.kind === 'online') out.push({ target: id, config: config as OnlineStageConfig });
    // The sample goes to the online endpoint: only lines in the format it speaks can (not Anthropic's, say).
    else if (config.kind === 'batch' && speaksOnline((config as { provider?: string }).provider ?? DEFAULT_PROVIDER))
      out.push({
        target: id,
        config: onlineConfigSchema.parse({
          kind: 'online',
          maxAttempts: config.maxAttempts,
          // Priced, and limited, as the batch rule is: a sample spends from the target's budget.
          ...(config.pricing ? { pricing: config.pricing } : {}),
          ...(config.deployments ? { deployments: config.deployments } : {}),
          ...(config.maxCostUsd !== undefined ? { maxCostUsd: config.maxCostUsd } : {}),
        }),
      });
  }
  return out;
}

function speaksOnline(provider: string): boolean {
  return providerSpec(provider).wire === providerSpec(DEFAULT_PROVIDER).wire;
}

export function samplePath(output: string): string {
  return `${output.replace(/\.jsonl$/, '')}.sample.jsonl`;
}

/** Sends the samples; returns 0 when every sample has its answers, 1 when one failed, 75 when stopped. */
export async function runSamples(opts: {
  project: Project;
  targets: readonly SampleTarget[];
  rows: number;
  services: StageServices;
  clock: Clock;
  signal: AbortSignal;
  out: Output;
}): Promise<number> {
  let code = 0;
  for (const { target, config } of opts.targets) {
    if (opts.signal.aborted) return 130;
    const node = opts.project.graph.targets.get(target)!;
    const ctx = contextFor(
      { root: opts.project.root, services: opts.services, clock: opts.clock, signal: opts.signal },
      node,
    );
    const request = await readRequestFile(ctx.inputs[0]!, ctx.root, DEFAULT_PROVIDER, { keep: 'refs' });
    if (!request.ok) {
      opts.out.write(`${target}: sample failed: ${request.error.message}\n`);
      code = 1;
      continue;
    }
    const only = request.value.entries.slice(0, opts.rows);
    const sample = samplePath(ctx.output);
    const temp = tempPathFor(sample);
    // A sample keeps its own journal: a batch rule's marker is its batch ledger.
    const journal = path.join(opts.project.root, opts.project.stateDir, 'samples', `${target}.journal.jsonl`);
    const outcome = await runOnline({ ...ctx, marker: journal, tempOutput: temp }, config, { only, writeTo: temp });
    const shown = path.relative(process.cwd(), sample) || sample;
    if (outcome.kind === 'done') {
      await commitFile(temp, sample);
      const price = config.serviceTier === 'flex' ? 'flex (batch) price' : 'standard price';
      opts.out.write(
        `${target}: sample of ${only.length} → ${shown} (${outcome.summary}; ${formatUsd(outcome.costUsd)} at ${price})\n`,
      );
      if (outcome.summary?.includes('failed')) code = Math.max(code, 1);
    } else {
      await rm(temp, { force: true });
      const why = outcome.kind === 'failed' ? outcome.failure.message : outcome.summary;
      opts.out.write(`${target}: sample not finished: ${why}\n`);
      code = outcome.kind === 'failed' ? 1 : code === 1 ? 1 : 75;
    }
  }
  return code;
}
