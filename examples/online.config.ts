/**
 * The MMLU paraphrase job of `pipeline.config.ts` (same requests rule, same prompt) sent through
 * a server's online endpoint instead of the Batch API: for a local vLLM, Ollama or llama.cpp, or
 * OpenAI's flex tier. Its files live beside the batch job's under `results/mmlu`:
 *
 *   original/{subject}.jsonl
 *     → paraphrase_online/{subject}.jsonl              requests (local)
 *     → paraphrase_online/{subject}.journal.jsonl      marker: the online journal
 *     → paraphrase_online/results/{subject}.jsonl      raw result lines (online)
 *     → paraphrased-online/{subject}.jsonl             merged records, the seed's format
 *
 *   npx tsx pipeline build -C examples/online.config.ts --offline        # the built-in emulator
 *   OPENAI_BASE_URL=http://127.0.0.1:8000/v1 npx tsx pipeline build -C examples/online.config.ts
 *   PIPELINE_ONLINE_SERVERS=http://gpu-1:8000/v1,http://gpu-2:8000/v1 npx tsx pipeline build -C examples/online.config.ts
 */
import batchJob from '../pipeline.config.ts';
import { definePipeline, merge, online, rule } from '../src/config/define.ts';

const requestsRule = batchJob.rules.find((r) => r.name === 'requests');
if (!requestsRule) throw new Error('pipeline.config.ts has no "requests" rule');

export default definePipeline({
  root: '../results/mmlu',
  rules: [
    rule({ ...requestsRule, output: 'paraphrase_online/{subject}.jsonl' }),
    rule({
      name: 'online',
      description: "send each request to the server's /v1/chat/completions, journal every answer",
      inputs: ['paraphrase_online/{subject}.jsonl'],
      output: 'paraphrase_online/results/{subject}.jsonl',
      marker: 'paraphrase_online/{subject}.journal.jsonl',
      stage: online({
        // A local server: its parallel slots (vLLM --max-num-seqs, OLLAMA_NUM_PARALLEL, llama-server -np).
        maxConcurrency: 8,
        // OpenAI: your tier's limits (x-ratelimit-* headers lower them if they are less), and flex prices:
        // requestsPerMinute: 500, tokensPerMinute: 200_000, serviceTier: 'flex', timeoutSeconds: 900,
        // Several replicas: each row goes to whichever has room (or PIPELINE_ONLINE_SERVERS=url,url):
        // servers: [{ baseURL: 'http://gpu-1:8000/v1', maxConcurrency: 16 }, { baseURL: 'http://gpu-2:8000/v1' }],
        maxAttempts: 5,
      }),
    }),
    rule({
      name: 'merge',
      description: 'source records + results → records with paraphrased_analysis',
      inputs: ['original/{subject}.jsonl', 'paraphrase_online/results/{subject}.jsonl'],
      output: 'paraphrased-online/{subject}.jsonl',
      stage: merge({
        customId: '{subject}-{question_number}',
        outputField: 'paraphrased_analysis',
        tokensField: 'paraphrase_tokens',
      }),
    }),
  ],
});
