/**
 * Requests without a bound on their output have no worst case: where money is counted (a dry run,
 * a cost limit) `build` says so once per run, naming the requests rules, and the dry run says the
 * budget is only an estimate for them; a build with neither says nothing.
 */
import { afterEach, expect, it } from 'vitest';
import { startE2e, type E2e } from '../e2e/helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

it('hints once per run at the requests rules that set no max_tokens; the dry run says the budget is an estimate', async () => {
  e = await startE2e({ subjects: 3, recordsPerSubject: 2 });
  const config = await e.rig.read('pipeline.config.ts');
  await e.rig.write({ 'pipeline.config.ts': config.replace('max_tokens: 1024', 'top_p: 1') });
  const dry = await e.build(['-n']);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stderr.match(/hint: requests rule `requests` sets no bound on the reply/g)).toHaveLength(1);
  expect(dry.stdout).toMatch(/at most ~\$0\.\d+ \(an estimate: 6 requests set no max_tokens\)/);
  expect(dry.stdout).toMatch(
    /6 requests set no max_tokens: no ceiling on their cost, so a --max-cost budget is only an estimate/,
  );

  const plain = await e.build();
  expect(plain.stderr).not.toMatch(/hint:/);
  const budgeted = await e.build(['--max-cost', '5']);
  expect(budgeted.stderr.match(/hint: requests rule/g)).toHaveLength(1);
});
