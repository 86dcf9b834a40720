/**
 * Where batch API calls go, per provider the project's batch rules name: each reads its own
 * environment (OPENAI_API_KEY/OPENAI_BASE_URL, ANTHROPIC_API_KEY/ANTHROPIC_BASE_URL,
 * AZURE_OPENAI_API_KEY/AZURE_OPENAI_ENDPOINT, or a rule's `apiKeyEnv`/`baseURL`), or, with
 * `--offline`, the built-in emulator started in this process on a loopback port with its state
 * under the pipeline root (so later runs see the batches of earlier ones). It serves every
 * provider's routes. The API key is never printed or written anywhere.
 */
import path from 'node:path';
import type { ProviderName } from '../batch-api/types.ts';
import { err, ok, type Result } from '../util/result.ts';
import { UsageError } from './project.ts';
import { keyNotNeeded } from './local-server.ts';
import { NO_KEY } from '../stages/online/services.ts';

export interface ProviderEndpoint {
  provider: ProviderName;
  apiKey: string;
  /** Undefined: the SDK's default (api.openai.com, api.anthropic.com). */
  baseURL?: string;
  /** Per-attempt timeout of API calls; undefined: the client's default (60 s). */
  timeoutMs?: number;
}

export interface Connection {
  /** One per batch provider the project's batch rules name. */
  endpoints: ProviderEndpoint[];
  /** The OpenAI-compatible online endpoint, when the project has `online` rules. */
  online?: { apiKey: string; baseURL?: string };
  offline: boolean;
  /** One line telling the user where requests go. */
  description?: string;
  close(): Promise<void>;
}

export const MISSING_KEY_MESSAGE = 'Error: OPENAI_API_KEY environment variable is not set';

/** What `connect` needs of a loaded project. */
export interface ProjectPlace {
  root: string;
  stateDir: string;
  rules: ReadonlyMap<string, { config: unknown; stage?: { remote?: boolean } }>;
}

interface ProviderUse {
  provider: ProviderName;
  baseURL?: string | undefined;
  apiKeyEnv?: string | undefined;
}

/** The providers the project's batch rules name (the first rule's endpoint settings win for each). */
function providersOf(project: ProjectPlace): ProviderUse[] {
  const uses = new Map<ProviderName, ProviderUse>();
  for (const { config } of project.rules.values()) {
    const c = config as { kind?: unknown; provider?: ProviderName; baseURL?: string; apiKeyEnv?: string };
    if (c.kind !== 'batch') continue;
    const provider = c.provider ?? 'openai';
    if (!uses.has(provider)) uses.set(provider, { provider, baseURL: c.baseURL, apiKeyEnv: c.apiKeyEnv });
  }
  return [...uses.values()];
}

function hasOnlineRules(project: ProjectPlace): boolean {
  return [...project.rules.values()].some((r) => (r.config as { kind?: unknown }).kind === 'online');
}

/** Models the project's rules name: the offline emulator answers them even if it does not know them (new or fine-tuned models). */
function modelsOf(project: ProjectPlace): string[] {
  const models = new Set<string>();
  for (const { config } of project.rules.values()) {
    const model = (config as { model?: unknown }).model;
    if (typeof model === 'string' && model) models.add(model);
  }
  return [...models];
}

/** `wantOnline`: the online endpoint is needed even without online rules (`build --sample` on batch rules). */
export async function connect(
  project: ProjectPlace,
  offline: boolean,
  env: NodeJS.ProcessEnv,
  wantOnline = false,
): Promise<Result<Connection, UsageError>> {
  const uses = providersOf(project);
  const online = wantOnline || hasOnlineRules(project);
  if (offline) {
    const { startEmulator } = await import('../emulator/index.ts');
    const stateDir = path.join(project.root, project.stateDir, 'emulator');
    const speed = Number(env.PIPELINE_EMULATOR_SPEED ?? '1');
    const emulator = await startEmulator({
      stateDir,
      port: 0,
      speed: Number.isFinite(speed) && speed > 0 ? speed : 1,
      extraModels: modelsOf(project),
    });
    const origin = new URL(emulator.url).origin;
    const offlineURL: Record<ProviderName, string> = {
      openai: emulator.url,
      'openai-compatible': emulator.url,
      anthropic: origin,
      azure: `${origin}/openai/v1/`,
    };
    return ok({
      endpoints: uses.map((u) => ({
        provider: u.provider,
        apiKey: 'offline-emulator',
        baseURL: offlineURL[u.provider],
        ...apiTimeout(env),
      })),
      ...(online ? { online: { apiKey: 'offline-emulator', baseURL: emulator.url } } : {}),
      offline: true,
      description: `offline: using the built-in batch API emulator (no provider calls, nothing billed; state in ${path.relative(process.cwd(), stateDir) || stateDir})`,
      close: () => emulator.close(),
    });
  }
  const endpoints: ProviderEndpoint[] = [];
  for (const use of uses) {
    const endpoint = endpointFromEnv(use, env);
    if (!endpoint.ok) return endpoint;
    endpoints.push({ ...endpoint.value, ...apiTimeout(env) });
  }
  if (!online) return ok({ endpoints, offline: false, close: () => Promise.resolve() });
  const apiKey = env.OPENAI_API_KEY?.trim();
  const baseURL = env.OPENAI_BASE_URL?.trim() || undefined;
  if (!apiKey && !keyNotNeeded(project.rules.values(), baseURL)) return err(missing('OPENAI_API_KEY', 'openai'));
  return ok({
    endpoints,
    // A local server (vLLM, Ollama, llama.cpp) checks no key; the SDK still wants one.
    online: { apiKey: apiKey ?? NO_KEY, ...(baseURL ? { baseURL } : {}) },
    offline: false,
    ...(apiKey
      ? {}
      : {
          description: `no OPENAI_API_KEY: sending to the local server${baseURL ? ` at ${baseURL}` : 's named by the online rules'} without a key`,
        }),
    close: () => Promise.resolve(),
  });
}

/** PIPELINE_API_TIMEOUT_MS: per-attempt timeout of API calls (default 60 s), e.g. for fault tests. */
function apiTimeout(env: NodeJS.ProcessEnv): { timeoutMs?: number } {
  const timeout = Number(env.PIPELINE_API_TIMEOUT_MS);
  return Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : {};
}

const KEY_VARIABLE: Record<ProviderName, string> = {
  openai: 'OPENAI_API_KEY',
  'openai-compatible': 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  azure: 'AZURE_OPENAI_API_KEY',
};

function endpointFromEnv(use: ProviderUse, env: NodeJS.ProcessEnv): Result<ProviderEndpoint, UsageError> {
  const keyVariable = use.apiKeyEnv ?? KEY_VARIABLE[use.provider];
  const apiKey = env[keyVariable]?.trim();
  if (!apiKey) return err(missing(keyVariable, use.provider));
  const read = (name: string) => env[name]?.trim() || undefined;
  switch (use.provider) {
    case 'anthropic': {
      const baseURL = read('ANTHROPIC_BASE_URL');
      return ok({ provider: 'anthropic', apiKey, ...(baseURL ? { baseURL } : {}) });
    }
    case 'azure': {
      const resource = read('AZURE_OPENAI_ENDPOINT');
      if (!resource) return err(missing('AZURE_OPENAI_ENDPOINT', 'azure'));
      // The v1 API: https://RESOURCE.openai.azure.com/openai/v1/ (no api-version needed).
      const baseURL = /\/openai\/v1\/?$/.test(resource) ? resource : `${resource.replace(/\/+$/, '')}/openai/v1/`;
      return ok({ provider: 'azure', apiKey, baseURL });
    }
    default: {
      const baseURL = use.baseURL ?? read('OPENAI_BASE_URL');
      return ok({ provider: use.provider, apiKey, ...(baseURL ? { baseURL } : {}) });
    }
  }
}

function missing(variable: string, provider: ProviderName): UsageError {
  const what: Record<ProviderName, string> = {
    openai: 'to use OpenAI (or OPENAI_BASE_URL for a compatible server)',
    'openai-compatible': "for the rule's OpenAI-compatible server",
    anthropic: "to use Anthropic's Message Batches API",
    azure: 'to use Azure OpenAI (AZURE_OPENAI_ENDPOINT is https://RESOURCE.openai.azure.com)',
  };
  const setting = /_ENDPOINT$/.test(variable) ? `"https://your-resource.openai.azure.com"` : `"your-api-key"`;
  return new UsageError(
    `Error: ${variable} environment variable is not set`,
    [
      `export ${variable}=${setting} ${what[provider]},`,
      'or add --offline to run against the built-in batch API emulator (free, nothing leaves this machine).',
    ],
    'missing-setting',
  );
}
