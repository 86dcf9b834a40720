/**
 * The MMLU paraphrase pipeline (design §1): per subject, source records → batch request lines →
 * one or more OpenAI batches → raw results → merged records with `paraphrased_analysis`.
 *
 *   results/mmlu/original/{subject}.jsonl
 *     → paraphrase_batch/{subject}.jsonl            requests (local)
 *     → paraphrase_batch/{subject}.batch.json       marker: batch ids and state (remote)
 *     → paraphrase_batch/results/{subject}.jsonl    raw result lines (remote)
 *     → paraphrased/{subject}.jsonl                 merged (local)
 */
import { batch, definePipeline, merge, requests, rule } from './src/config/define.ts';

const MODEL = 'gpt-4.1';

export default definePipeline({
  root: 'results/mmlu',
  rules: [
    rule({
      name: 'requests',
      description: 'one chat-completions request per source record',
      inputs: ['original/{subject}.jsonl'],
      output: 'paraphrase_batch/{subject}.jsonl',
      stage: requests({
        model: MODEL,
        system:
          'You rewrite explanations of exam questions. Keep every fact, step and conclusion; change only the wording.',
        prompt: [
          'Paraphrase the following analysis of an MMLU {subject} question.',
          'Keep its meaning, reasoning and final answer exactly; use different wording and sentence structure.',
          'Reply with the paraphrased analysis only.',
          '',
          '<text>',
          '{analysis}',
          '</text>',
        ].join('\n'),
        params: { temperature: 0.7, max_tokens: 1024 },
        customId: '{subject}-{question_number}',
      }),
    }),
    rule({
      name: 'batch',
      description: 'submit the requests to the Batch API, poll, download the results',
      inputs: ['paraphrase_batch/{subject}.jsonl'],
      output: 'paraphrase_batch/results/{subject}.jsonl',
      marker: 'paraphrase_batch/{subject}.batch.json',
      stage: batch({ maxAttempts: 3 }),
    }),
    rule({
      name: 'merge',
      description: 'source records + results → records with paraphrased_analysis',
      inputs: ['original/{subject}.jsonl', 'paraphrase_batch/results/{subject}.jsonl'],
      output: 'paraphrased/{subject}.jsonl',
      stage: merge({
        customId: '{subject}-{question_number}',
        outputField: 'paraphrased_analysis',
        tokensField: 'paraphrase_tokens',
      }),
    }),
  ],
});
