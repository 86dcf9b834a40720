/**
 * A batch API client that loads its SDK on the first call. A build finds its batch targets up to
 * date (or its ledgers with nothing in flight) without any call, so a no-op `build` or `status`
 * never loads `openai` or `@anthropic-ai/sdk`, each 100–300 ms of start-up.
 */
import type { BatchApi, CallStats, ProviderTraits } from '../batch-api/types.ts';

export function lazyBatchApi(traits: ProviderTraits, load: () => Promise<BatchApi>): BatchApi {
  let loaded: BatchApi | undefined;
  let loading: Promise<BatchApi> | undefined;
  const real = async () => (loaded ??= await (loading ??= load()));
  /** What `calls` reads before the client exists: nothing was called. */
  const none: CallStats = { total: 0, byRoute: {} };
  return {
    traits,
    get calls() {
      return loaded?.calls ?? none;
    },
    upload: async (data, filename) => (await real()).upload(data, filename),
    createBatch: async (params) => (await real()).createBatch(params),
    retrieveBatch: async (id) => (await real()).retrieveBatch(id),
    listBatches: async (params) => (await real()).listBatches(params),
    cancelBatch: async (id) => (await real()).cancelBatch(id),
    findUpload: async (filename, limit) => (await real()).findUpload(filename, limit),
    deleteFile: async (id) => (await real()).deleteFile(id),
    downloadFile: async (id) => (await real()).downloadFile(id),
  };
}
