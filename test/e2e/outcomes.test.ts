/**
 * Batch outcomes through the real CLI: an expired batch re-sends only the remainder; per-request
 * 500s are retried and succeed; a per-request 400 is reported with its row and the build exits 1;
 * `pipeline cancel` stops in-flight batches and the next build submits only what is missing; no
 * key and no --offline gives the seed's message and the --offline hint.
 */
import { appendFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { E2E_PROVIDERS, expectMergedCorrectly, startE2e, type E2e } from './helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

describe.each(E2E_PROVIDERS)('%s', (provider) => {
  /** Moves the emulator's clock (its batches' progress) by hand. */
  const advance = (ms: number) =>
    fetch(`${e!.control}/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: ms }) });

  it('an expired batch with partial results: only the remainder is submitted again', async () => {
    // Slow batches (200 s validating, then 0.25 requests/s of emulator time) and the emulator's clock
    // moved by hand: on a busy machine, the real seconds CLI runs take must not finish them first.
    e = await startE2e({ subjects: 2, recordsPerSubject: 20 }, { speed: 0.005 }, '', provider);
    expect((await e.build()).code).toBe(75);
    await advance(200_000 + 12_000); // validated, then a few of 20 requests done
    for (const id of await e.batchIds()) await fetch(`${e.control}/batches/${id}/expire`, { method: 'POST' });
    const collected = await e.build();
    expect(collected.code).toBe(75);
    for (let i = 0; i < 10; i++) {
      await advance(60_000);
      if ((await e.build()).code === 0) break;
    }
    expect((await e.build()).code).toBe(0);
    const stats = await e.emulator.stats();
    expect(stats.batchesCreated).toBe(4); // each subject: the expired batch + one for its remainder
    expect(await e.providerBatches()).toBe(4);
    expect(stats.requestsExecuted).toBe(40); // every request ran exactly once
    expect(stats.duplicateExecutions).toBe(0);
    await expectMergedCorrectly(e);
  }, 180_000);

  it('per-request 500s are retried and succeed; a 400 is reported with its row and exits 1', async () => {
    e = await startE2e(
      { subjects: 2, recordsPerSubject: 10 },
      { faults: { requestErrors: { customIds5xx: ['anatomy-3', 'anatomy-7'], customIds4xx: ['abstract_algebra-4'] } } },
      '',
      provider,
    );
    // While another target is still pending the exit code is 75 (the failure listed): run until none is.
    let last = await e.build();
    for (let i = 0; i < 20 && (last.code === 75 || last.stdout.includes('pending')); i++) {
      await new Promise((r) => setTimeout(r, 200));
      last = await e.build();
    }
    expect(last.code).toBe(1);
    expect(last.stdout).toContain('✗ failed      paraphrased/abstract_algebra.jsonl');
    // OpenAI's per-request 400, Anthropic's errored result of type invalid_request_error.
    const permanent = provider === 'openai' ? 'HTTP 400' : 'invalid_request_error';
    expect(last.stdout).toMatch(new RegExp(`question_number 4 \\(abstract_algebra-4\\): ${permanent}`));
    expect(last.stdout).toContain('✓ built       paraphrased/anatomy.jsonl'); // the 500s were retried
    const status = await e.rig.run(['status', '--json'], { env: e.env });
    const failed = (
      JSON.parse(status.stdout) as { target: string; state: string; failure?: { details?: string[] } }[]
    ).find((s) => s.target === 'paraphrased/abstract_algebra.jsonl');
    expect(failed).toMatchObject({ state: 'failed' });
    expect(failed?.failure?.details?.[0]).toMatch(/abstract_algebra-4/);
    const again = await e.build();
    expect(again.code).toBe(1); // permanent: reported again, not re-sent
    expect((await e.emulator.stats()).batchesCreated).toBe(3); // 2 subjects + 1 follow-up for the 500s
    expect(await e.providerBatches()).toBe(3);
  }, 180_000);

  it('pipeline cancel stops in-flight batches; the next build submits only what is missing', async () => {
    // Slow batches (1 request/s of emulator time, 50 s validating), moved on by hand: on a busy
    // machine, real time alone must not finish them before the cancel lands.
    e = await startE2e({ subjects: 2, recordsPerSubject: 30 }, { speed: 0.02 }, '', provider);
    expect((await e.build()).code).toBe(75);
    await advance(53_000); // a few rows done
    const cancel = await e.rig.run(['cancel'], { env: e.env });
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain('2 batches cancelled');
    await advance(60_000); // cancelled
    e.emulator.setFaults({});
    const resumed = await e.build();
    expect(resumed.code).toBe(75);
    expect(resumed.stdout).toMatch(/pending/);
    await advance(3_600_000);
    await e.buildUntilDone();
    const stats = await e.emulator.stats();
    expect(stats.batchesCreated).toBe(4);
    expect(await e.providerBatches()).toBe(4);
    expect(stats.requestsExecuted).toBe(60);
    expect(stats.duplicateExecutions).toBe(0);
    await expectMergedCorrectly(e);
  }, 180_000);
});

it('no key and no --offline: the seed message, the --offline hint, exit 2, nothing done', async () => {
  e = await startE2e({ subjects: 1, recordsPerSubject: 2 });
  const run = await e.rig.run(['build']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('Error: OPENAI_API_KEY environment variable is not set');
  expect(run.stderr).toContain('--offline');
  expect(run.stdout).toBe('');
  expect(await e.rig.run(['status'])).toMatchObject({ code: 0 }); // status needs no key
  expect((await e.rig.run(['build', '-n'])).code).toBe(0); // nor does a dry run
});

it('no key, nothing to send or collect: a no-op build is up to date (exit 0); new work needs the key again', async () => {
  e = await startE2e({ subjects: 1, recordsPerSubject: 2 });
  await e.buildUntilDone();
  const noop = await e.rig.run(['build']);
  expect(noop.code, noop.stderr).toBe(0);
  expect(noop.stdout).toMatch(/3 up to date/);
  expect(noop.stderr).not.toContain('OPENAI_API_KEY');
  const forcedMerge = await e.rig.run(['build', '-B', `paraphrased/${e.subjects[0]}.jsonl`]);
  expect(forcedMerge.code, forcedMerge.stderr).toBe(0); // a forced local target needs no key either
  const source = `results/mmlu/original/${e.subjects[0]}.jsonl`;
  const first = (await e.rig.read(source)).split('\n')[0]!;
  await appendFile(e.rig.path(source), `${first.replace('"question_number":1,', '"question_number":99,')}\n`);
  const stale = await e.rig.run(['build']);
  expect(stale.code).toBe(2);
  expect(stale.stderr).toContain('Error: OPENAI_API_KEY environment variable is not set');
});
