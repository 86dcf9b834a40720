/**
 * The MMLU paraphrase job through Anthropic's Message Batches API (half the standard price).
 *
 *   npx tsx pipeline build -C examples/anthropic.config.ts --offline --wait   # on the emulator
 *   ANTHROPIC_API_KEY=… npx tsx pipeline build -C examples/anthropic.config.ts
 */
import { batch, definePipeline } from '../src/config/define.ts';
import { mmluParaphraseRules } from './mmlu-paraphrase.ts';

export default definePipeline({
  root: '../results/mmlu',
  rules: mmluParaphraseRules({
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    batchDir: 'paraphrase_batch_anthropic',
    outDir: 'paraphrased-anthropic',
    runner: batch({ provider: 'anthropic', maxAttempts: 3 }),
    // Anthropic's API version 2026-10-21 (sent by its SDK 1.x) refuses temperature, top_p and top_k.
    params: { max_tokens: 1024 },
  }),
});
