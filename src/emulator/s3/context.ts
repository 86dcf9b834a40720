/** What the S3 routes need: the emulator's shared parts plus the object and upload stores. */
import type { Clock } from '../../util/clock.ts';
import type { FaultState } from '../faults.ts';
import type { ByteCounter } from '../http.ts';
import type { KeyedMutex } from '../mutex.ts';
import type { StatsKeeper } from '../stats.ts';
import type { S3Store } from './store.ts';
import type { UploadStore } from './uploads.ts';

export interface S3Context {
  clock: Clock;
  stats: StatsKeeper;
  faults: FaultState;
  locks: KeyedMutex;
  counter: ByteCounter;
  store: S3Store;
  uploads: UploadStore;
  /** Scratch space for small request bodies (CreateBucket, DeleteObjects, CompleteMultipartUpload). */
  tmpDir: string;
  /**
   * Run before every read: brings the batch jobs that write into S3 up to now, so their output
   * appears as emulated time passes even when only S3 is being read.
   */
  beforeRead(): Promise<void>;
}

/** What a route handler knows about its call. */
export interface S3Call {
  bucket: string;
  key: string;
  query: URLSearchParams;
  /** The region of the request's signature (a new bucket's region). */
  region: string;
  accessKeyId: string;
  requestId: string;
}
