/**
 * The MMLU paraphrase job through AWS Bedrock batch inference (Claude on Bedrock, half the
 * on-demand price), its files in S3. Bedrock runs a job only with enough records (100 unless AWS
 * lowered the quota for your account), more than most MMLU subjects have, so the subjects'
 * requests are gathered into one request file and sent as one job; the merge still writes one
 * file per subject.
 *
 *   npx tsx pipeline build -C examples/bedrock.config.ts --offline --wait   # on the emulator
 *
 *   export AWS_PROFILE=…  AWS_REGION=us-east-1                                 # or AWS_ACCESS_KEY_ID…
 *   export PIPELINE_BEDROCK_S3_URI=s3://your-bucket/llmake                     # the bucket must exist
 *   export BEDROCK_ROLE_ARN=arn:aws:iam::123456789012:role/BedrockBatchInference
 *   npx tsx pipeline build -C examples/bedrock.config.ts
 */
import { batch, definePipeline, merge, requests, rule } from '../src/config/define.ts';
import { MMLU_PROMPT, MMLU_SYSTEM } from './mmlu-paraphrase.ts';

/** Claude Sonnet 4.5 through the US cross-Region inference profile (batch takes profiles and model ids). */
const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

export default definePipeline({
  root: '../results/mmlu',
  rules: [
    rule({
      name: 'requests',
      description: 'one Bedrock record per source record, every subject in one request file',
      inputs: ['original/{subject}.jsonl'],
      output: 'paraphrase_batch_bedrock/all.jsonl',
      stage: requests({
        provider: 'bedrock',
        model: MODEL,
        system: MMLU_SYSTEM,
        prompt: MMLU_PROMPT,
        params: { max_tokens: 1024, temperature: 0.7 },
        // Records carry their subject: the one file's ids stay unique.
        customId: '{subject}-{question_number}',
      }),
    }),
    rule({
      name: 'batch',
      description: 'run the records as Bedrock jobs, poll, download the results from S3',
      inputs: ['paraphrase_batch_bedrock/all.jsonl'],
      output: 'paraphrase_batch_bedrock/results/all.jsonl',
      marker: 'paraphrase_batch_bedrock/all.batch.json',
      stage: batch({
        provider: 'bedrock',
        s3Uri: process.env.PIPELINE_BEDROCK_S3_URI ?? 's3://llmake-batch/mmlu',
        // The role comes from BEDROCK_ROLE_ARN (or set roleArn here).
        // The repository's sample has 20 questions; Bedrock's default quota wants 100 per job.
        // Delete this line for a real dataset, or keep it at your account's quota if AWS lowered it.
        minRequestsPerBatch: 20,
      }),
    }),
    rule({
      name: 'merge',
      description: 'source records + results → records with paraphrased_analysis',
      inputs: ['original/{subject}.jsonl', 'paraphrase_batch_bedrock/results/all.jsonl'],
      output: 'paraphrased-bedrock/{subject}.jsonl',
      stage: merge({
        customId: '{subject}-{question_number}',
        outputField: 'paraphrased_analysis',
        tokensField: 'paraphrase_tokens',
      }),
    }),
  ],
});
