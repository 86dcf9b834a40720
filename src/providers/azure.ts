/**
 * Azure OpenAI's batch (providers.md B) through its v1 API, `https://RESOURCE.openai.azure.com/openai/v1/`
 * with the `api-key` header: OpenAI's wire format, with a rule's `model` naming a deployment,
 * 100,000 requests per file, and a create refused at once with `token_limit_exceeded` when the
 * deployment's queue is full (the protocol backs off as for a batch failed on the limit).
 */
import { err, ok } from '../util/result.ts';
import { read } from './shared/env.ts';
import { openAiFamily } from './shared/openai-family.ts';

export const azure = openAiFamily({
  name: 'azure',
  title: 'Azure OpenAI Batch',
  traits: { maxRequestsPerBatch: 100_000 },
  servesModelsOf: 'openai',
  key: 'AZURE_OPENAI_API_KEY',
  purpose: 'to use Azure OpenAI (AZURE_OPENAI_ENDPOINT is https://RESOURCE.openai.azure.com)',
  hint: 'AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT (https://RESOURCE.openai.azure.com)',
  others: ['AZURE_OPENAI_ENDPOINT'],
  endpoint: (use, env) => {
    const keyVariable = use.apiKeyEnv ?? 'AZURE_OPENAI_API_KEY';
    const apiKey = read(env, keyVariable);
    const purpose = 'to use Azure OpenAI (AZURE_OPENAI_ENDPOINT is https://RESOURCE.openai.azure.com)';
    if (!apiKey) return err({ variable: keyVariable, example: '"your-api-key"', purpose });
    const resource = read(env, 'AZURE_OPENAI_ENDPOINT');
    if (!resource)
      return err({ variable: 'AZURE_OPENAI_ENDPOINT', example: '"https://your-resource.openai.azure.com"', purpose });
    // The v1 API: https://RESOURCE.openai.azure.com/openai/v1/ (no api-version needed).
    const baseURL = /\/openai\/v1\/?$/.test(resource) ? resource : `${resource.replace(/\/+$/, '')}/openai/v1/`;
    return ok({ provider: 'azure', apiKey, baseURL });
  },
  headers: (endpoint) => ({ 'api-key': endpoint.apiKey }),
  offlinePath: '/openai/v1/',
});
