/**
 * A provider that speaks OpenAI's Files + Batches API and line formats, described as data: where
 * it lives, which key it reads, its limits and windows. OpenAI, Azure's v1 API, the generic
 * OpenAI-compatible server and presets such as Groq are all made here; what differs between them
 * is in their own files.
 */
import type { BatchApi } from '../batch-api.ts';
import type { OnlineApi } from '../online-api.ts';
import { SPECIFICATION_VERSION, type ProviderEndpoint, type ProviderSpec, type ProviderTraits } from '../spec.ts';
import { keyedEndpoint, OFFLINE_KEY, read } from './env.ts';
import { OPENAI_ENDPOINTS, openaiLines } from './openai-lines.ts';

const MB = 1024 * 1024;

/** OpenAI's own limits (docs/openai-batch-api.md): the defaults every member starts from. */
export const OPENAI_TRAITS: ProviderTraits = {
  maxRequestsPerBatch: 50_000,
  maxBytesPerBatch: 200 * MB,
  inlineUpToBytes: 0,
  findsLostCreates: 'metadata',
  countsOnlyAtEnd: false,
  completionWindow: { defaultHours: 24, minHours: 24, maxHours: 24 },
  endpoints: OPENAI_ENDPOINTS,
  ruleBaseURL: false,
  publicTokenizer: true,
};

export interface OpenAiFamilyMember {
  name: string;
  title: string;
  /** Differences from OpenAI's limits and windows. */
  traits?: Partial<ProviderTraits>;
  key: string;
  /** The variable that points calls elsewhere. */
  baseURLVariable?: string;
  /** Where calls go when nothing says otherwise (undefined: the SDK's default, api.openai.com). */
  defaultBaseURL?: string;
  /** Why the key is needed, for the missing-key message. */
  purpose: string;
  hint: string;
  /** Variables read besides the key and base URL (for docs). */
  others?: readonly string[];
  /** The endpoint from the environment, when it needs more than a key and a base URL (Azure). */
  endpoint?: ProviderSpec['endpoint'];
  /** Extra headers on every call (Azure's `api-key`). */
  headers?: (endpoint: ProviderEndpoint) => Record<string, string>;
  /** The emulator's routes for it; default: OpenAI's `/v1`. */
  offlinePath?: string;
  checkBatch?: ProviderSpec['checkBatch'];
  servesModelsOf?: string;
}

export function openAiFamily(member: OpenAiFamilyMember): ProviderSpec {
  const traits: ProviderTraits = { ...OPENAI_TRAITS, ...member.traits };
  const headers = (e: ProviderEndpoint) => member.headers?.(e);
  return {
    specificationVersion: SPECIFICATION_VERSION,
    name: member.name,
    title: member.title,
    traits,
    env: { key: member.key, baseURL: member.baseURLVariable, others: member.others, hint: member.hint },
    wire: openaiLines,
    ...(member.servesModelsOf ? { servesModelsOf: member.servesModelsOf } : {}),
    endpoint:
      member.endpoint ??
      ((use, env) => {
        const found = keyedEndpoint(
          member.name,
          { key: member.key, baseURL: member.baseURLVariable, purpose: member.purpose },
          use,
          env,
        );
        if (!found.ok || found.value.baseURL || !member.defaultBaseURL) return found;
        return { ok: true, value: { ...found.value, baseURL: member.defaultBaseURL } };
      }),
    offline: (origin) => ({
      provider: member.name,
      apiKey: OFFLINE_KEY,
      baseURL: `${origin}${member.offlinePath ?? '/v1'}`,
    }),
    async batch(endpoint): Promise<BatchApi> {
      const { createBatchApi } = await import('./openai-batches.ts');
      const extra = headers(endpoint);
      return createBatchApi({
        apiKey: endpoint.apiKey,
        ...(endpoint.baseURL ? { baseURL: endpoint.baseURL } : {}),
        ...(endpoint.timeoutMs ? { timeoutMs: endpoint.timeoutMs } : {}),
        ...(endpoint.maxRetries !== undefined ? { maxRetries: endpoint.maxRetries } : {}),
        organization: endpoint.settings?.organization ?? null,
        project: endpoint.settings?.project ?? null,
        provider: { name: member.name, traits },
        ...(extra ? { defaultHeaders: extra } : {}),
      });
    },
    async online(endpoint): Promise<OnlineApi> {
      const { createOnlineApi } = await import('./openai-online.ts');
      return createOnlineApi({ apiKey: endpoint.apiKey, baseURL: endpoint.baseURL, defaultHeaders: headers(endpoint) });
    },
    checkBatch: member.checkBatch,
  };
}

/** OPENAI_ORG_ID / OPENAI_PROJECT_ID, when set: sent with every call. */
export function openAiAccount(env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  const organization = read(env, 'OPENAI_ORG_ID');
  const project = read(env, 'OPENAI_PROJECT_ID');
  if (!organization && !project) return undefined;
  return { ...(organization ? { organization } : {}), ...(project ? { project } : {}) };
}
