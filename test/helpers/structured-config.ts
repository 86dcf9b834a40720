/**
 * A small structured-output job for tests and the reliability campaign: MMLU questions labelled
 * with a zod schema through a batch rule that re-asks invalid replies, merged with the labels
 * spread into each record.
 */
import path from 'node:path';
import { REPO } from './rig.ts';

/** `runner`: the results stage, `batch` or `online` (OpenAI's online endpoint; its marker is the journal). */
export function structuredConfig(
  provider: 'openai' | 'anthropic',
  batchOptions: string,
  runner: 'batch' | 'online' = 'batch',
): string {
  const define = JSON.stringify(path.join(REPO, 'src/config/define.ts'));
  const model = provider === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4.1-mini';
  return `import { batch, definePipeline, merge, online, requests, z } from ${define};
const Label = z.object({ difficulty: z.enum(['easy', 'medium', 'hard']), topics: z.array(z.string()).min(1).max(3), rationale: z.string() });
export default definePipeline({ root: 'results/mmlu', rules: [
  { name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'b/{subject}.jsonl',
    stage: requests({ provider: '${provider}', model: '${model}', prompt: 'Label: {question}', params: { max_tokens: 400 }, schema: Label }) },
  { name: 'batch', inputs: ['b/{subject}.jsonl'], output: 'b/results/{subject}.jsonl', marker: 'b/{subject}.batch.json',
    stage: ${runner === 'online' ? `online({ schema: Label, ${batchOptions} })` : `batch({ provider: '${provider}', schema: Label, ${batchOptions} })`} },
  { name: 'merge', inputs: ['original/{subject}.jsonl', 'b/results/{subject}.jsonl'], output: 'out/{subject}.jsonl',
    stage: merge({ schema: Label, spread: true }) },
]});
`;
}
