/**
 * What each provider's batch API allows and offers, in one table the config layer can read
 * without loading any SDK (sources: ../shared/docs/providers.md A.3, B.3, D; openai-batch-api.md).
 */
import type { ProviderName, ProviderTraits } from './types.ts';

const MB = 1024 * 1024;

export const PROVIDER_TRAITS: Readonly<Record<ProviderName, ProviderTraits>> = {
  openai: {
    name: 'openai',
    uploadsFiles: true,
    metadata: true,
    maxRequestsPerBatch: 50_000,
    maxBytesPerBatch: 200 * MB,
    countsOnlyAtEnd: false,
  },
  // Azure: the same wire format, 100,000 requests per file (providers.md B.3).
  azure: {
    name: 'azure',
    uploadsFiles: true,
    metadata: true,
    maxRequestsPerBatch: 100_000,
    maxBytesPerBatch: 200 * MB,
    countsOnlyAtEnd: false,
  },
  // Compatible servers: OpenAI's limits unless the rule says otherwise (it may set lower caps).
  'openai-compatible': {
    name: 'openai-compatible',
    uploadsFiles: true,
    metadata: true,
    maxRequestsPerBatch: 50_000,
    maxBytesPerBatch: 200 * MB,
    countsOnlyAtEnd: false,
  },
  anthropic: {
    name: 'anthropic',
    uploadsFiles: false,
    metadata: false,
    maxRequestsPerBatch: 100_000,
    maxBytesPerBatch: 256 * MB,
    countsOnlyAtEnd: true,
  },
};
