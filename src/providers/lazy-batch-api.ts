/**
 * A batch API client that loads its SDK on the first call. A build finds its batch targets up to
 * date (or its ledgers with nothing in flight) without any call, so a no-op `build` or `status`
 * never loads `openai` or `@anthropic-ai/sdk`, each 100–300 ms of start-up.
 */
import type { BatchApi, CallStats } from './batch-api.ts';
import type { ProviderTraits } from './spec.ts';

export function lazyBatchApi(provider: string, traits: ProviderTraits, load: () => Promise<BatchApi>): BatchApi {
  let loaded: BatchApi | undefined;
  let loading: Promise<BatchApi> | undefined;
  const real = async () => (loaded ??= await (loading ??= load()));
  /** What `calls` reads before the client exists: nothing was called. */
  const none: CallStats = { total: 0, byRoute: {} };
  return {
    provider,
    traits,
    get calls() {
      return loaded?.calls ?? none;
    },
    upload: async (data, filename, rule) => (await real()).upload(data, filename, rule),
    createBatch: async (params) => (await real()).createBatch(params),
    retrieveBatch: async (id) => (await real()).retrieveBatch(id),
    listBatches: async (params) => (await real()).listBatches(params),
    cancelBatch: async (id) => (await real()).cancelBatch(id),
    findUpload: async (filename, rule) => (await real()).findUpload(filename, rule),
    deleteFile: async (id) => (await real()).deleteFile(id),
    downloadFile: async (id, from) => (await real()).downloadFile(id, from),
  };
}
