/**
 * Where API calls go, per provider the project's batch rules name: each provider's spec reads its
 * own environment (its key and base-URL variables, or a rule's `apiKeyEnv`/`baseURL`), or, with
 * `--offline`, the built-in emulator started in this process on a loopback port with its state
 * under the pipeline root (so later runs see the batches of earlier ones). It serves every
 * provider's routes. The API key is never printed or written anywhere.
 */
import path from 'node:path';
import { DEFAULT_PROVIDER, providerSpec } from '../providers/registry.ts';
import type { BatchRuleView, MissingSetting, ProviderEndpoint } from '../providers/spec.ts';
import { err, ok, type Result } from '../util/result.ts';
import { UsageError } from './project.ts';
import { keyNotNeeded } from './local-server.ts';
import { onlineServersFrom } from './online-servers.ts';
import { NO_KEY } from '../stages/online/services.ts';

export interface Connection {
  /** One per batch provider the project's batch rules name. */
  endpoints: ProviderEndpoint[];
  /** The OpenAI-compatible online endpoint, when the project has `online` rules. */
  online?: ProviderEndpoint;
  /** PIPELINE_ONLINE_SERVERS: the fleet of the online rules without their own `baseURL` (not with --offline). */
  onlineServers?: string[];
  offline: boolean;
  /** One line telling the user where requests go. */
  description?: string;
  close(): Promise<void>;
}

/** The message of a build without the default provider's key (the seed's wording). */
export const MISSING_KEY_MESSAGE = `Error: ${providerSpec(DEFAULT_PROVIDER).env.key} environment variable is not set`;

/** What `connect` needs of a loaded project. */
export interface ProjectPlace {
  root: string;
  stateDir: string;
  rules: ReadonlyMap<string, { config: unknown; stage?: { remote?: boolean } }>;
}

interface ProviderUse {
  provider: string;
  baseURL?: string | undefined;
  apiKeyEnv?: string | undefined;
  /** Every batch rule of this provider, for the settings a rule needs beyond the endpoint (Bedrock's role). */
  rules: BatchRuleView[];
}

/** The providers the project's batch rules name (the first rule's endpoint settings win for each). */
function providersOf(project: ProjectPlace): ProviderUse[] {
  const uses = new Map<string, ProviderUse>();
  for (const { config } of project.rules.values()) {
    const c = config as { kind?: unknown; provider?: string; baseURL?: string; apiKeyEnv?: string };
    if (c.kind !== 'batch') continue;
    const provider = c.provider ?? DEFAULT_PROVIDER;
    const use = uses.get(provider) ?? { provider, baseURL: c.baseURL, apiKeyEnv: c.apiKeyEnv, rules: [] };
    use.rules.push(config as BatchRuleView);
    uses.set(provider, use);
  }
  return [...uses.values()];
}

/** The endpoint of a provider from the environment, or the first setting it or one of its rules lacks. */
function endpointOf(use: ProviderUse, env: NodeJS.ProcessEnv): Result<ProviderEndpoint, MissingSetting> {
  const spec = providerSpec(use.provider);
  const endpoint = spec.endpoint(use, env);
  if (!endpoint.ok) return endpoint;
  for (const rule of use.rules) {
    const lacking = spec.missingSetting?.(rule, endpoint.value);
    if (lacking) return err(lacking);
  }
  return endpoint;
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
      // What the rules say of their accounts (a quota AWS lowered, say): the emulator holds to it.
      ...(Object.assign({}, ...uses.map((u) => providerSpec(u.provider).emulatorOptions?.(u.rules) ?? {})) as object),
    });
    const origin = new URL(emulator.url).origin;
    return ok({
      endpoints: uses.map((u) => ({ ...providerSpec(u.provider).offline(origin), ...apiTimeout(env) })),
      ...(online ? { online: providerSpec(DEFAULT_PROVIDER).offline(origin) } : {}),
      offline: true,
      description: `offline: using the built-in batch API emulator (no provider calls, nothing billed; state in ${path.relative(process.cwd(), stateDir) || stateDir})`,
      close: () => emulator.close(),
    });
  }
  const endpoints: ProviderEndpoint[] = [];
  for (const use of uses) {
    const endpoint = endpointOf(use, env);
    if (!endpoint.ok) return err(missing(endpoint.error));
    endpoints.push({ ...endpoint.value, ...apiTimeout(env) });
  }
  if (!online) return ok({ endpoints, offline: false, close: () => Promise.resolve() });
  const spec = providerSpec(DEFAULT_PROVIDER);
  const found = spec.endpoint({}, env);
  const baseURL = (spec.env.baseURL && env[spec.env.baseURL]?.trim()) || undefined;
  const servers = onlineServersFrom(env);
  if (!servers.ok) return servers;
  if (!found.ok && !keyNotNeeded(project.rules.values(), baseURL, servers.value)) return err(missing(found.error));
  return ok({
    endpoints,
    ...(servers.value ? { onlineServers: servers.value } : {}),
    // A local server (vLLM, Ollama, llama.cpp) checks no key; the SDK still wants one.
    online: found.ok ? found.value : { provider: DEFAULT_PROVIDER, apiKey: NO_KEY, ...(baseURL ? { baseURL } : {}) },
    offline: false,
    ...(found.ok
      ? {}
      : {
          description: `no ${spec.env.key}: sending to the local server${baseURL ? ` at ${baseURL}` : 's named by the online rules'} without a key`,
        }),
    close: () => Promise.resolve(),
  });
}

/**
 * The first setting a connection would lack (a key, an endpoint), without connecting: commands
 * that can do without the API (`status`, `view`) show the last recorded state and name it.
 */
export function missingSetting(project: ProjectPlace, env: NodeJS.ProcessEnv): string | undefined {
  for (const use of providersOf(project)) {
    const endpoint = endpointOf(use, env);
    if (!endpoint.ok) return endpoint.error.variable;
  }
  return undefined;
}

/** PIPELINE_API_TIMEOUT_MS: per-attempt timeout of API calls (default 60 s), e.g. for fault tests. */
function apiTimeout(env: NodeJS.ProcessEnv): { timeoutMs?: number } {
  const timeout = Number(env.PIPELINE_API_TIMEOUT_MS);
  return Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : {};
}

function missing(setting: MissingSetting): UsageError {
  return new UsageError(
    `Error: ${setting.variable} environment variable is not set`,
    [
      `export ${setting.variable}=${setting.example} ${setting.purpose},`,
      'or add --offline to run against the built-in batch API emulator (free, nothing leaves this machine).',
    ],
    'missing-setting',
  );
}
