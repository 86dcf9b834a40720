/**
 * Reading a provider's endpoint from the environment: the key (or the variable a rule names
 * instead with `apiKeyEnv`) and an optional base URL. The key is trimmed and never echoed.
 */
import { err, ok, type Result } from '../../util/result.ts';
import type { EndpointUse, MissingSetting, ProviderEndpoint } from '../spec.ts';

export function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** `{provider, apiKey, baseURL?}` from `keyVariable` (or the rule's `apiKeyEnv`) and `baseURLVariable` (or the rule's `baseURL`). */
export function keyedEndpoint(
  provider: string,
  vars: { key: string; baseURL?: string | undefined; purpose: string },
  use: EndpointUse,
  env: NodeJS.ProcessEnv,
): Result<ProviderEndpoint, MissingSetting> {
  const keyVariable = use.apiKeyEnv ?? vars.key;
  const apiKey = read(env, keyVariable);
  if (!apiKey) return err({ variable: keyVariable, example: '"your-api-key"', purpose: vars.purpose });
  const baseURL = use.baseURL ?? (vars.baseURL ? read(env, vars.baseURL) : undefined);
  return ok({ provider, apiKey, ...(baseURL ? { baseURL } : {}) });
}

/** The key the offline emulator accepts. */
export const OFFLINE_KEY = 'offline-emulator';
