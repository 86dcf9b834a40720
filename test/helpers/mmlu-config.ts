/**
 * The MMLU job's config for a test's temp dir, on a chosen provider: OpenAI is the repository's
 * own pipeline.config.ts; Anthropic is the same job from examples/mmlu-paraphrase.ts (the one
 * examples/anthropic.config.ts declares) writing the same paths, so every check of files holds
 * for both. Imports are made absolute (the config lives outside the repository).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO } from './rig.ts';

export type ConfigProvider = 'openai' | 'anthropic';

/** `batchOptions`: extra `batch({…})` options, as source text (e.g. `maxAttempts: 2`); they win over the config's own. */
export async function mmluConfig(provider: ConfigProvider, batchOptions = ''): Promise<string> {
  const from = (rel: string) => JSON.stringify(path.join(REPO, rel));
  if (provider === 'anthropic')
    return `import { batch, definePipeline } from ${from('src/config/define.ts')};
import { mmluParaphraseRules } from ${from('examples/mmlu-paraphrase.ts')};

export default definePipeline({
  root: 'results/mmlu',
  rules: mmluParaphraseRules({
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    batchDir: 'paraphrase_batch',
    outDir: 'paraphrased',
    runner: batch({ ${["provider: 'anthropic'", 'maxAttempts: 3', batchOptions].filter(Boolean).join(', ')} }),
    params: { max_tokens: 1024 },
  }),
});
`;
  const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8')).replace(
    "'./src/config/define.ts'",
    from('src/config/define.ts'),
  );
  return config.replace(
    /stage: batch\(\{ ?(.*?) ?\}\)/,
    (_, own: string) => `stage: batch({ ${[own, batchOptions].filter(Boolean).join(', ')} })`,
  );
}
