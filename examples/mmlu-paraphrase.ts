/**
 * The MMLU paraphrase job of `pipeline.config.ts` (same prompt, same merged records in the seed's
 * format), parameterised by where it runs: the examples in this folder call it with a provider,
 * a model and their own output directories, so the same declared job runs on every provider.
 */
import { merge, requests, rule, type RuleOptions } from '../src/config/define.ts';
import type { ProviderName } from '../src/providers/registry.ts';

export const MMLU_SYSTEM =
  'You rewrite explanations of exam questions. Keep every fact, step and conclusion; change only the wording.';

export const MMLU_PROMPT = [
  'Paraphrase the following analysis of an MMLU {subject} question.',
  'Keep its meaning, reasoning and final answer exactly; use different wording and sentence structure.',
  'Reply with the paraphrased analysis only.',
  '',
  '<text>',
  '{analysis}',
  '</text>',
].join('\n');

export interface MmluJob {
  provider: ProviderName;
  /** A model name (Azure: the deployment's name). */
  model: string;
  /** Request lines, marker and raw results go here (relative to the root). */
  batchDir: string;
  /** Merged records go here. */
  outDir: string;
  /** The stage that runs the requests (for example `batch({ provider: 'anthropic' })`). */
  runner: RuleOptions['stage'];
  /**
   * The request's parameters in the provider's own shape (default: OpenAI's `temperature` and
   * `max_tokens`). Keep a bound on the output (`max_tokens`, Gemini's
   * `generationConfig.maxOutputTokens`): with one, `--max-cost` is a ceiling, not an estimate.
   */
  params?: Record<string, unknown>;
}

const DEFAULT_PARAMS = { temperature: 0.7, max_tokens: 1024 };

export function mmluParaphraseRules(job: MmluJob): RuleOptions[] {
  return [
    rule({
      name: 'requests',
      description: `one ${job.provider} request per source record`,
      inputs: ['original/{subject}.jsonl'],
      output: `${job.batchDir}/{subject}.jsonl`,
      stage: requests({
        provider: job.provider,
        model: job.model,
        system: MMLU_SYSTEM,
        prompt: MMLU_PROMPT,
        params: job.params ?? DEFAULT_PARAMS,
        customId: '{subject}-{question_number}',
      }),
    }),
    rule({
      name: 'batch',
      description: `run the requests on ${job.provider}, poll, download the results`,
      inputs: [`${job.batchDir}/{subject}.jsonl`],
      output: `${job.batchDir}/results/{subject}.jsonl`,
      marker: `${job.batchDir}/{subject}.batch.json`,
      stage: job.runner,
    }),
    rule({
      name: 'merge',
      description: 'source records + results → records with paraphrased_analysis',
      inputs: ['original/{subject}.jsonl', `${job.batchDir}/results/{subject}.jsonl`],
      output: `${job.outDir}/{subject}.jsonl`,
      stage: merge({
        customId: '{subject}-{question_number}',
        outputField: 'paraphrased_analysis',
        tokensField: 'paraphrase_tokens',
      }),
    }),
  ];
}
