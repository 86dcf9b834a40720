/**
 * What the provider-independent tests need to run one job on each batch provider the emulator
 * serves: the registry's spec gives the line format, the emulator routes (`offline`), the
 * environment variables, and how a lost create is found (`findsLostCreates`); this file adds
 * only what a test must choose (a model the flavour knows, its route keys for fault rules, where
 * the flavour keeps its books in the emulator's stats, and the rule options a test job needs).
 */
import path from 'node:path';
import type { EmulatorOptions, EmulatorStats } from '../../src/emulator/index.ts';
import { providerSpec, type ProviderName } from '../../src/providers/registry.ts';
import type { ProviderSpec } from '../../src/providers/spec.ts';

/** Every batch provider with an emulator flavour of its own (Azure and the presets are OpenAI's wire). */
export const BATCH_PROVIDERS = [
  'openai',
  'anthropic',
  'gemini',
  'mistral',
  'bedrock',
] as const satisfies readonly ProviderName[];
export type BatchProvider = (typeof BATCH_PROVIDERS)[number];

/** One flavour's books, from the emulator's stats. */
export interface FlavourBooks {
  /** Batches (jobs) the provider made. */
  batchesCreated: number;
  /** Batches it holds now, by status summed: with `batchesCreated`, proves where they went. */
  batchesHeld: number;
  /** Files uploaded through the provider's Files API; undefined where files are objects in a bucket (S3). */
  filesUploaded: number | undefined;
  requestsExecuted: number;
  /** Request bodies answered successfully again: paid twice. */
  duplicateExecutions: number;
}

export interface TestProfile {
  provider: BatchProvider;
  spec: ProviderSpec;
  /** A model the flavour serves, and the request params the job uses. */
  model: string;
  params: Record<string, unknown>;
  /** Route keys as the emulator counts them and fault rules name them. */
  routes: { create: string; list: string; retrieve: string };
  /** The same calls as the client counts them (`api.calls.byRoute`). */
  clientRoutes: { list: string; retrieve: string };
  /** The flavour's own counts in the emulator's stats. */
  books(stats: EmulatorStats): FlavourBooks;
  /** Extra `batch({…})` options a job on this provider needs, as source text. */
  ruleOptions: string;
  /** The same as an object, for the in-process harness. */
  ruleConfig: Record<string, unknown>;
  /** Emulator options the job needs (Bedrock's minimum records lowered to the test job's size). */
  emulator: Partial<EmulatorOptions>;
  /** How a test makes a batch expire: the emulator's expire control, or (Bedrock, which has none) the `expireAfterFraction` fault. */
  expiresBy: 'control' | 'fault';
  /** An expired batch keeps what it finished (Gemini's EXPIRED has no results). */
  expiryKeepsResults: boolean;
  /** Points the CLI can be SIGKILLed at on this provider (inline providers have no upload steps). */
  failpoints: readonly string[];
  /** The environment that points the CLI at a test-owned emulator (`origin`: http://127.0.0.1:PORT). */
  env(origin: string, key: string): NodeJS.ProcessEnv;
  /** Where the emulator keeps this flavour's execution log (what was paid), under its state dir. */
  ledgerDir(stateDir: string): string;
  /** Makes what the account must hold before a job runs there (Bedrock's bucket; `--offline` makes its own). */
  setUp(origin: string, key: string): Promise<void>;
}

const sum = (byStatus: Record<string, number> | undefined) => Object.values(byStatus ?? {}).reduce((a, b) => a + b, 0);

const flavour =
  (name: string, byStatus: (s: EmulatorStats) => Record<string, number>) =>
  (stats: EmulatorStats): FlavourBooks => {
    const own = stats.flavours[name];
    return {
      batchesCreated: own?.batchesCreated ?? 0,
      batchesHeld: sum(byStatus(stats)),
      filesUploaded: own?.filesUploaded ?? 0,
      requestsExecuted: own?.requestsExecuted ?? 0,
      duplicateExecutions: own?.duplicateExecutions ?? 0,
    };
  };

/** The env a keyed provider reads: its key variable and its base-URL variable at the emulator's routes. */
const keyedEnv = (spec: ProviderSpec) => (origin: string, key: string) => ({
  [spec.env.key!]: key,
  [spec.env.baseURL!]: spec.offline(origin).baseURL!,
});

export const ALL_FAILPOINTS = [
  'after-intent',
  'during-upload',
  'after-upload',
  'after-creating',
  'after-create',
  'during-download',
  'after-download',
  'before-commit:requests',
  'before-commit:batch',
  'before-commit:merge',
] as const;

/** A provider that takes the test jobs' parts inline in the create call has no upload to die in. */
const failpointsOf = (inline: boolean) =>
  inline ? ALL_FAILPOINTS.filter((p) => p !== 'during-upload' && p !== 'after-upload') : ALL_FAILPOINTS;

/** Whether the test jobs' parts go inline: small enough for the spec's inline size, and in a shape it inlines. */
function goesInline(spec: ProviderSpec, line: Record<string, unknown>): boolean {
  const data = Buffer.from(`${JSON.stringify(line)}\n`);
  return spec.traits.inlineUpToBytes >= 1024 * 1024 && (spec.traits.inlineable?.(data) ?? true);
}

/** Bedrock's test bucket, and the minimum records per job a test job can meet. */
export const BEDROCK_TEST_S3 = 's3://llmake-test/jobs';
const BEDROCK_MIN_RECORDS = 1;
const BEDROCK_ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch';

const PROFILES: Record<
  BatchProvider,
  Omit<TestProfile, 'provider' | 'spec' | 'failpoints' | 'env' | 'setUp' | 'ledgerDir'>
> = {
  openai: {
    expiresBy: 'control',
    expiryKeepsResults: true,
    model: 'gpt-4.1',
    params: { temperature: 0.7, max_tokens: 256 },
    routes: { create: 'POST /v1/batches', list: 'GET /v1/batches', retrieve: 'GET /v1/batches/{batch_id}' },
    clientRoutes: { list: 'GET /v1/batches', retrieve: 'GET /v1/batches/{id}' },
    books: flavour('openai', (s) => s.batchesByStatus),
    ruleOptions: '',
    ruleConfig: {},
    emulator: {},
  },
  anthropic: {
    expiresBy: 'control',
    expiryKeepsResults: true,
    model: 'claude-sonnet-4-5',
    params: { max_tokens: 256 },
    routes: {
      create: 'POST /v1/messages/batches',
      list: 'GET /v1/messages/batches',
      retrieve: 'GET /v1/messages/batches/{message_batch_id}',
    },
    clientRoutes: { list: 'GET /v1/messages/batches', retrieve: 'GET /v1/messages/batches/{id}' },
    books: flavour('anthropic', (s) => s.messageBatchesByStatus),
    ruleOptions: '',
    ruleConfig: {},
    emulator: {},
  },
  gemini: {
    expiresBy: 'control',
    expiryKeepsResults: false,
    model: 'gemini-2.5-flash',
    // safetySettings is a field the SDK's inline conversion may not carry unchanged, so every part
    // goes as a file through the Files API (uploads, `findUpload` by display name, the responses
    // file): the path large jobs take. Inline parts are covered by test/providers and the emulator's tests.
    params: {
      generationConfig: { temperature: 0.7, maxOutputTokens: 256 },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
    },
    routes: {
      create: 'POST /v1beta/models/{model}:batchGenerateContent',
      list: 'GET /v1beta/batches',
      retrieve: 'GET /v1beta/batches/{batch}',
    },
    clientRoutes: { list: 'GET /v1beta/batches', retrieve: 'GET /v1beta/batches/{id}' },
    books: flavour('gemini', (s) => s.geminiBatchesByState),
    ruleOptions: '',
    ruleConfig: {},
    emulator: {},
  },
  mistral: {
    expiresBy: 'control',
    expiryKeepsResults: true,
    model: 'mistral-small-latest',
    params: { temperature: 0.7, max_tokens: 256 },
    routes: {
      create: 'POST /mistral/v1/batch/jobs',
      list: 'GET /mistral/v1/batch/jobs',
      retrieve: 'GET /mistral/v1/batch/jobs/{job_id}',
    },
    clientRoutes: { list: 'GET /mistral/v1/batch/jobs', retrieve: 'GET /mistral/v1/batch/jobs/{id}' },
    books: flavour('mistral', (s) => s.mistralJobsByStatus),
    ruleOptions: '',
    ruleConfig: {},
    emulator: {},
  },
  bedrock: {
    expiresBy: 'fault',
    expiryKeepsResults: true,
    model: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    params: { max_tokens: 256, temperature: 0.7 },
    routes: {
      create: 'POST /model-invocation-job',
      list: 'GET /model-invocation-jobs',
      retrieve: 'GET /model-invocation-job/{jobIdentifier}',
    },
    clientRoutes: { list: 'ListModelInvocationJobsCommand', retrieve: 'GetModelInvocationJobCommand' },
    books: (stats) => {
      const aws = stats.aws;
      return {
        batchesCreated: aws?.jobsCreated ?? 0,
        batchesHeld: sum(aws?.jobsByStatus),
        filesUploaded: undefined,
        requestsExecuted: aws?.recordsProcessed ?? 0,
        duplicateExecutions: aws?.duplicateRecordExecutions ?? 0,
      };
    },
    ruleOptions: `s3Uri: '${BEDROCK_TEST_S3}', minRequestsPerBatch: ${BEDROCK_MIN_RECORDS}`,
    ruleConfig: { s3Uri: BEDROCK_TEST_S3, minRequestsPerBatch: BEDROCK_MIN_RECORDS },
    emulator: { bedrock: { quotas: { minRecordsPerJob: BEDROCK_MIN_RECORDS } } },
  },
};

export function testProfile(provider: BatchProvider): TestProfile {
  const spec = providerSpec(provider);
  const env =
    provider === 'bedrock'
      ? (origin: string, key: string) => ({
          AWS_ENDPOINT_URL: origin,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'AKIDLLMAKETEST',
          AWS_SECRET_ACCESS_KEY: key,
          BEDROCK_ROLE_ARN: BEDROCK_ROLE,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        })
      : keyedEnv(spec);
  const setUp =
    provider === 'bedrock'
      ? async (origin: string, key: string) => {
          const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
          const s3 = new S3Client({
            region: 'us-east-1',
            endpoint: origin,
            forcePathStyle: true,
            credentials: { accessKeyId: 'AKIDLLMAKETEST', secretAccessKey: key },
          });
          await s3.send(new CreateBucketCommand({ Bucket: new URL(BEDROCK_TEST_S3).host })).catch((e: unknown) => {
            if ((e as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw e;
          });
          s3.destroy();
        }
      : () => Promise.resolve();
  const own = PROFILES[provider];
  const sample = spec.wire.writeRequest(
    { model: own.model, endpoint: spec.traits.endpoints[0]!, params: own.params },
    'x-1',
    'system',
    'user',
  );
  const ledgerDir = (stateDir: string) => (provider === 'openai' ? stateDir : path.join(stateDir, provider));
  return { provider, spec, ...own, failpoints: failpointsOf(goesInline(spec, sample)), env, setUp, ledgerDir };
}
