/**
 * The Azure OpenAI flavour's settings: the resource's batch deployments (name → model) and their
 * enqueued-token quota. The same Files + Batches routes serve it under `/openai/v1/`, with the
 * differences Azure documents (providers.md B): `api-key` auth, deployment names as `model`,
 * 100,000 requests per file, no 24 h expiry, an empty error file on success, and a create that
 * fails fast with `token_limit_exceeded` when the deployment's queue is full.
 */
import type { AzureOptions } from '../types.ts';

export const AZURE_MAX_REQUESTS = 100_000;

export interface AzureSettings {
  /** Whether `name` is a batch deployment of this resource. */
  isDeployment(name: string): boolean;
  /** The model a deployment serves (what replies report and tokens are counted for). */
  modelOf(deployment: string): string;
  /** The deployment's enqueued-token quota, when one is configured. */
  maxEnqueuedTokens(deployment: string): number | undefined;
  /** Quota checked at create (400 `token_limit_exceeded`) rather than at validation (batch `failed`). */
  failFast: boolean;
}

export function azureSettings(opts: AzureOptions, isKnownModel: (model: string) => boolean): AzureSettings {
  const deployments = opts.deployments;
  const limit = opts.maxEnqueuedTokens;
  return {
    // Without a deployment table every model is deployed under its own name, a common convention.
    isDeployment: (name) => (deployments ? Object.hasOwn(deployments, name) : isKnownModel(name)),
    modelOf: (name) => deployments?.[name] ?? name,
    maxEnqueuedTokens: (name) => (typeof limit === 'number' ? limit : limit?.[name]),
    failFast: opts.failFast ?? true,
  };
}

/** `POST /v1/files` → `POST /openai/v1/files`: Azure's calls are counted apart from OpenAI's. */
export const azureRouteKey = (key: string): string => key.replace(' /', ' /openai/');

export const isAzurePath = (pathname: string): boolean => pathname.startsWith('/openai/v1/');
