/** What the OpenAI flavour's handlers need (Azure's too, with `azure` set), assembled once at start. */
import type { AzureSettings } from '../azure/settings.ts';
import type { BatchContext } from '../context.ts';
import type { FilesStore } from '../files-store.ts';
import type { OnlineServer } from '../online/server.ts';
import type { BatchRecord } from './types.ts';

export interface EmulatorContext extends BatchContext<BatchRecord> {
  files: FilesStore;
  maxBatchFileBytes: number;
  maxUploadBytes: number;
  isKnownModel: (model: string) => boolean;
  tokenLimit(model: string): number | undefined;
  /** The enqueued-token count per prompt token (1: the billed count). */
  enqueuedTokenFactor: number;
  /** The online endpoints' limits, slots and stats. */
  online: OnlineServer;
  /** Most request lines per input file (50,000; Azure 100,000). */
  maxRequestsPerBatch: number;
  /** Set when this context serves the Azure OpenAI flavour. */
  azure?: AzureSettings;
}

export const MAX_BATCH_FILE_BYTES = 200 * 1024 * 1024;
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
