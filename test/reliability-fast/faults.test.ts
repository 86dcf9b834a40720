/**
 * A short fault run: 5xx and dropped connections on reads and uploads, a 429 burst with
 * retry-after on create, replies slower than the client timeout, per-request 5xx lines, an expiry.
 * (Faults on create itself and the token limit cost real-time waits of 10–60 s: the long run has them.
 * A create slower than the client's timeout is one: the tool cannot know whether the batch exists,
 * and waits out the 10-minute adoption window before it creates again. So slow replies here are
 * on reads and uploads only.)
 */
import { expect, it } from 'vitest';
import { faultCampaign } from '../reliability/faults.ts';
import { referenceRun } from '../reliability/lib.ts';

it('the job completes under faults with bounded retries, no duplicate and identical output', async () => {
  const spec = { subjects: 3, records: 8, seed: 22 };
  const reference = await referenceRun(spec);
  const f = await faultCampaign({
    spec,
    reference,
    seed: 3,
    // Generous against load: CI runs this beside the rest of the suite on 2 cores, where a tight
    // client timeout turns ordinary slowness into extra timeouts and runs (failed at 700 ms / 200 s).
    deadlineMs: 400_000,
    timeoutMs: 2_500,
    burst429: 2,
    faults: {
      http: [
        { route: 'GET /v1/batches', status: 500, rate: 0.3 },
        { route: 'GET /v1/files/{file_id}/content', status: 503, rate: 0.3 },
        { route: 'POST /v1/files', status: 502, rate: 0.3 },
      ],
      dropRate: 0.1,
      dropRoutes: ['GET /v1/batches', 'GET /v1/batches/{batch_id}'],
      slowMs: 4_000,
      slowRate: 0.05,
      slowRoutes: [
        'GET /v1/batches',
        'GET /v1/batches/{batch_id}',
        'GET /v1/files/{file_id}/content',
        'POST /v1/files',
      ],
      requestErrors: { rate5xx: 0.3, transientAttempts: 1 },
      expireAfterFraction: 0.5,
    },
  });
  expect(f.unexpected).toEqual([]);
  expect(f.finished, `runs ${f.runs}, exits ${JSON.stringify(f.exits)}, ${f.ms} ms`).toBe(true);
  expect({ duplicates: f.duplicates, lost: f.rowsLost, wrong: f.rowsWrong, identical: f.identical }).toEqual({
    duplicates: 0,
    lost: 0,
    wrong: 0,
    identical: true,
  });
  expect(f.maxExecutionsPerRequest).toBeLessThanOrEqual(3);
  expect(f.runs).toBeLessThan(20);
}, 480_000);
