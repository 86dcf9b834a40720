/**
 * The MMLU paraphrase job through Gemini Batch Mode (half the standard price). Small request files
 * go inline in the create call, larger ones as a JSONL file through the Files API; batches that
 * have not finished after 48 h expire and their unanswered requests are sent again.
 *
 *   npx tsx pipeline build -C examples/gemini.config.ts --offline --wait   # on the emulator
 *   GEMINI_API_KEY=… npx tsx pipeline build -C examples/gemini.config.ts
 */
import { batch, definePipeline } from '../src/config/define.ts';
import { mmluParaphraseRules } from './mmlu-paraphrase.ts';

export default definePipeline({
  root: '../results/mmlu',
  rules: mmluParaphraseRules({
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    batchDir: 'paraphrase_batch_gemini',
    outDir: 'paraphrased-gemini',
    runner: batch({ provider: 'gemini', maxAttempts: 3 }),
    // Gemini's GenerateContentRequest shape; maxOutputTokens bounds each reply, so --max-cost is a ceiling.
    params: { generationConfig: { temperature: 0.7, maxOutputTokens: 1024 } },
  }),
});
