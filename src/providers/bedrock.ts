/**
 * AWS Bedrock batch inference (model invocation jobs, providers.md I), its data in S3, through the
 * official `@aws-sdk/client-bedrock`, `@aws-sdk/client-s3` and `@aws-sdk/lib-storage`, loaded on
 * first use. What differs, and how it is bridged:
 *
 * - lines are `{recordId, modelInput}` (bedrock-lines.ts); the part goes to `{s3Uri}/input/<name>`
 *   (multipart above 16 MB) without the `modelId` our request files carry, and results come back
 *   as `{s3Uri}/output/<job id>/<name>.out`, read in whatever order Bedrock wrote them (joined on
 *   `recordId`), and `manifest.json.out`, skipped;
 * - create takes an idempotency token: the intent is the token, so a create whose answer was lost
 *   is simply made again and returns the same job; the job's name carries the intent too, and
 *   names are unique, so even past the token's (undocumented) memory no second job can be made;
 * - a job runs as the rule's IAM role (`roleArn`, or BEDROCK_ROLE_ARN) and needs at least 100
 *   records (the quota's default; a rule with a lowered quota says so with `minRequestsPerBatch`);
 * - statuses `Submitted, Validating, Scheduled, InProgress, Completed, PartiallyCompleted, Failed,
 *   Stopping, Stopped, Expired`; whatever a job finished is kept, the rest sent again;
 * - credentials and endpoints as every AWS tool takes them: the SDK's default chain (profiles,
 *   SSO, AWS_ACCESS_KEY_ID…), AWS_REGION, and AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3 and
 *   AWS_ENDPOINT_URL_BEDROCK) to reach another server, S3 then addressed path-style. Nothing of
 *   them is written anywhere.
 */
import { z } from 'zod';
import { ok } from '../util/result.ts';
import type { BatchApi } from './batch-api.ts';
import { bedrockLines, familyOf, INVOKE } from './aws/lines.ts';
import { read } from './shared/env.ts';
import { SPECIFICATION_VERSION, type ProviderEndpoint, type ProviderSpec } from './spec.ts';

const MB = 1024 * 1024;
export const S3_URI = /^s3:\/\/([a-z0-9][.\-a-z0-9]{1,61}[a-z0-9])(\/.*)?$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
/** The role `--offline` runs jobs as when the rule names none: the emulator checks no IAM. */
const OFFLINE_ROLE = 'arn:aws:iam::000000000000:role/llmake-offline';

export const bedrock: ProviderSpec = {
  specificationVersion: SPECIFICATION_VERSION,
  name: 'bedrock',
  title: 'AWS Bedrock batch inference',
  traits: {
    maxRequestsPerBatch: 50_000,
    minRequestsPerBatch: 100,
    // "Sum of in-progress and submitted batch inference jobs using a base model" (adjustable).
    maxConcurrentBatches: 20,
    // One input file per job: 1 GB (not adjustable); the job's 5 GB holds more files than we send.
    maxBytesPerBatch: 1024 * MB,
    inlineUpToBytes: 0,
    findsLostCreates: 'idempotent',
    countsOnlyAtEnd: false,
    completionWindow: { defaultHours: 24, minHours: 24, maxHours: 168 },
    endpoints: [INVOKE],
    ruleBaseURL: false,
    publicTokenizer: false,
  },
  env: {
    baseURL: 'AWS_ENDPOINT_URL',
    others: ['AWS_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_BEDROCK', 'BEDROCK_ROLE_ARN'],
    hint: "AWS credentials as the AWS CLI takes them (AWS_PROFILE, AWS_ACCESS_KEY_ID…), AWS_REGION, the rule's s3Uri and roleArn (or BEDROCK_ROLE_ARN); AWS_ENDPOINT_URL for another server",
  },
  wire: bedrockLines,
  ruleOptions: {
    s3Uri: z
      .string()
      .regex(S3_URI, 's3://BUCKET/PREFIX (a bucket name of 3–63 lowercase letters, digits, dots and dashes)')
      .optional()
      .describe(
        '`bedrock`: where request files go and results come back (`s3://bucket/prefix`); the bucket must exist.',
      ),
    roleArn: z
      .string()
      .regex(ROLE_ARN, 'an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)')
      .optional()
      .describe('`bedrock`: the IAM service role jobs run as (default: BEDROCK_ROLE_ARN).'),
  },
  endpoint(_use, env) {
    const settings: Record<string, string> = {};
    const set = (key: string, value: string | undefined) => value && (settings[key] = value);
    set('region', read(env, 'AWS_REGION') ?? read(env, 'AWS_DEFAULT_REGION'));
    set('s3Endpoint', read(env, 'AWS_ENDPOINT_URL_S3') ?? read(env, 'AWS_ENDPOINT_URL'));
    set('bedrockEndpoint', read(env, 'AWS_ENDPOINT_URL_BEDROCK') ?? read(env, 'AWS_ENDPOINT_URL'));
    set('roleArn', read(env, 'BEDROCK_ROLE_ARN'));
    // Keys in the command's environment are passed on; otherwise the SDK's chain finds them (profiles, SSO…).
    set('accessKeyId', read(env, 'AWS_ACCESS_KEY_ID'));
    set('secretAccessKey', read(env, 'AWS_SECRET_ACCESS_KEY'));
    set('sessionToken', read(env, 'AWS_SESSION_TOKEN'));
    return ok({ provider: 'bedrock', apiKey: settings.secretAccessKey ?? '', settings });
  },
  offline: (origin) => ({
    provider: 'bedrock',
    apiKey: 'offline',
    settings: {
      region: 'us-east-1',
      s3Endpoint: origin,
      bedrockEndpoint: origin,
      roleArn: OFFLINE_ROLE,
      accessKeyId: 'offline',
      secretAccessKey: 'offline',
      offline: 'true',
    },
  }),
  checkRequests(rule) {
    const family = familyOf(rule.model);
    if (!family)
      return [
        {
          path: ['model'],
          message: `the tool writes Bedrock request bodies for Anthropic Claude (anthropic.claude-…) and Amazon Nova (amazon.nova-…) models, or their inference profiles; "${rule.model}" is neither`,
        },
      ];
    if (family === 'claude' && typeof rule.params.max_tokens !== 'number')
      return [
        {
          path: ['params', 'max_tokens'],
          message: 'Claude on Bedrock requires max_tokens: add params: { max_tokens: 1024 }',
        },
      ];
    if (family === 'nova' && rule.schema)
      return [{ path: ['schema'], message: 'structured replies on Bedrock are written for Claude models only' }];
    return [];
  },
  checkBatch(rule) {
    return typeof rule.s3Uri === 'string'
      ? []
      : [{ path: ['s3Uri'], message: 'Bedrock needs an S3 location for its files: s3Uri: "s3://your-bucket/llmake"' }];
  },
  emulatorOptions(rules) {
    const mins = rules.map((r) => r.minRequestsPerBatch).filter((n): n is number => typeof n === 'number');
    return mins.length > 0 ? { bedrock: { quotas: { minRecordsPerJob: Math.min(...mins) } } } : {};
  },
  missingSetting(rule, endpoint) {
    if (typeof rule.roleArn === 'string' || endpoint.settings?.roleArn) return undefined;
    return {
      variable: 'BEDROCK_ROLE_ARN',
      example: '"arn:aws:iam::123456789012:role/BedrockBatchInference"',
      purpose: "(or the rule's roleArn): the IAM service role Bedrock runs batch jobs as",
    };
  },
  async batch(endpoint: ProviderEndpoint): Promise<BatchApi> {
    const { createBedrockApi } = await import('./aws/transport.ts');
    return createBedrockApi(endpoint, bedrock.traits);
  },
};

/** `s3://bucket/prefix/` → bucket and key prefix (no leading or trailing slash). */
export function s3Place(uri: string): { bucket: string; prefix: string } | undefined {
  const m = S3_URI.exec(uri);
  if (!m) return undefined;
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export function ruleSetting(rule: Readonly<Record<string, unknown>> | undefined, key: string): string | undefined {
  const v = rule?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** A RemoteBatch id for a job: its ARN (Get takes it). */
export const isJobArn = (id: string) => /:model-invocation-job\//.test(id);
