/**
 * The AWS flavour: S3 and Bedrock's batch-inference control plane on the emulator's port, told
 * apart from the other flavours by the SigV4 signature (signature.ts) and from each other by the
 * service its credential scope names. State lives under `<stateDir>/s3` and `<stateDir>/bedrock`;
 * clock, speed, seed, faults, locks and stats are the emulator's.
 */
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ExecutionLedger } from '../executions.ts';
import type { BedrockContext } from '../bedrock/context.ts';
import type { Shared } from '../flavours.ts';
import { BedrockError, sendBedrockError } from '../bedrock/errors.ts';
import { refreshAll } from '../bedrock/lifecycle.ts';
import {
  DEFAULT_BEDROCK_QUOTAS,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_SCHEDULED_MS,
  type BedrockOptions,
} from '../bedrock/options.ts';
import { handleBedrock } from '../bedrock/router.ts';
import { JobStore } from '../bedrock/store.ts';
import type { S3Context } from '../s3/context.ts';
import { handleS3 } from '../s3/router.ts';
import { S3Store } from '../s3/store.ts';
import { UploadStore } from '../s3/uploads.ts';
import { isBedrockPath, sigV4Scope } from '../sigv4/signature.ts';

export interface AwsContext {
  s3: S3Context;
  bedrock: BedrockContext;
}

export async function startAws(main: Shared, stateDir: string, opts: BedrockOptions = {}): Promise<AwsContext> {
  const store = new S3Store(stateDir, main.locks);
  const uploads = new UploadStore(stateDir);
  const jobs = new JobStore(stateDir);
  const ledger = new ExecutionLedger(path.join(stateDir, 'bedrock'));
  const tmpDir = path.join(stateDir, 's3', 'tmp');
  // Small request bodies in flight when a previous server stopped: nobody will read them.
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  await Promise.all([store.load(), uploads.load(), jobs.load()]);
  await ledger.refresh();
  const shared = {
    clock: main.clock,
    stats: main.stats,
    faults: main.faults,
    locks: main.locks,
    counter: main.counter,
  };
  const bedrock: BedrockContext = {
    ...shared,
    seed: main.seed,
    speed: main.speed,
    jobs,
    s3: store,
    ledger,
    quotas: { ...DEFAULT_BEDROCK_QUOTAS, ...opts.quotas },
    scheduledMs: opts.scheduledMs ?? DEFAULT_SCHEDULED_MS,
    idempotencyWindowMs: opts.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS,
    passableRoles: opts.passableRoles ? new Set(opts.passableRoles) : undefined,
  };
  const s3: S3Context = { ...shared, store, uploads, tmpDir, beforeRead: () => refreshAll(bedrock) };
  return { s3, bedrock };
}

export function handleAws(ctx: AwsContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const scope = sigV4Scope(req);
  const pathname = (req.url ?? '/').split('?')[0] ?? '/';
  const service = scope?.service ?? (isBedrockPath(pathname) ? 'bedrock' : 's3');
  if (service === 's3') return handleS3(ctx.s3, req, res, scope);
  if (service === 'bedrock') return handleBedrock(ctx.bedrock, req, res, scope);
  req.resume();
  sendBedrockError(
    res,
    new BedrockError('UnknownOperationException', `The emulator serves the s3 and bedrock services, not '${service}'.`),
    ctx.s3.counter,
  );
  return Promise.resolve();
}
