/**
 * The MMLU paraphrase job through Azure OpenAI's Batch API (a Global Batch deployment; the model
 * on every request line is the deployment's name).
 *
 *   npx tsx pipeline build -C examples/azure.config.ts --offline --wait   # on the emulator
 *   AZURE_OPENAI_API_KEY=… AZURE_OPENAI_ENDPOINT=https://RESOURCE.openai.azure.com \
 *     npx tsx pipeline build -C examples/azure.config.ts
 */
import { batch, definePipeline } from '../src/config/define.ts';
import { mmluParaphraseRules } from './mmlu-paraphrase.ts';

export default definePipeline({
  root: '../results/mmlu',
  rules: mmluParaphraseRules({
    provider: 'azure',
    // Your deployment's name; priced as the model it serves (see `pricing` to add yours).
    model: 'gpt-4.1',
    batchDir: 'paraphrase_batch_azure',
    outDir: 'paraphrased-azure',
    runner: batch({ provider: 'azure', maxAttempts: 3 }),
  }),
});
