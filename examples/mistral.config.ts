/**
 * The MMLU paraphrase job through Mistral's batch API (half the standard price): one JSONL file per
 * job, the job's `timeout_hours` set from `completionWindow`, results downloadable for 24 h after
 * the job ends.
 *
 *   npx tsx pipeline build -C examples/mistral.config.ts --offline --wait   # on the emulator
 *   MISTRAL_API_KEY=… npx tsx pipeline build -C examples/mistral.config.ts
 */
import { batch, definePipeline } from '../src/config/define.ts';
import { mmluParaphraseRules } from './mmlu-paraphrase.ts';

export default definePipeline({
  root: '../results/mmlu',
  rules: mmluParaphraseRules({
    provider: 'mistral',
    model: 'mistral-small-latest',
    batchDir: 'paraphrase_batch_mistral',
    outDir: 'paraphrased-mistral',
    runner: batch({ provider: 'mistral', maxAttempts: 3, completionWindow: '24h' }),
    params: { temperature: 0.7, max_tokens: 1024 },
  }),
});
