/**
 * `status --json --fields`: a script names the row fields it reads and gets those, with the
 * values whole rows carry; the money report is made only when `money` is one of them (the
 * spend log is not read otherwise: test/cli/no-op-loads.test.ts counts its reads through the bin).
 */
import { afterEach, expect, it } from 'vitest';
import { FAKE_KEY, startE2e, type E2e } from '../e2e/helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

type Row = Record<string, unknown> & { target: string };

it('rows carry only the fields asked for, with the values of whole rows; bad field lists are usage errors', async () => {
  e = await startE2e({ subjects: 2, recordsPerSubject: 3 });
  await e.buildUntilDone();
  const env = { OPENAI_API_KEY: FAKE_KEY, OPENAI_BASE_URL: e.emulator.url };
  const json = async (...args: string[]) => {
    const r = await e!.rig.run(['status', '--json', ...args], { env });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Row[];
  };
  const whole = await json();
  expect(whole.some((r) => r.money !== undefined)).toBe(true); // the batch targets spent money

  const few = await json('--fields', 'state,target');
  expect(few).toEqual(whole.map((r) => ({ state: r.state, target: r.target })));
  expect(Object.keys(few[0]!)).toEqual(['state', 'target']); // in the order asked for

  const money = await json('--fields', 'target,money,costUsd');
  expect(money).toEqual(
    whole.map((r) => ({
      target: r.target,
      ...(r.money !== undefined ? { money: r.money } : {}),
      ...(r.costUsd !== undefined ? { costUsd: r.costUsd } : {}),
    })),
  );

  for (const [args, message] of [
    [['--json', '--fields', 'target,cost'], /unknown field 'cost'; known: target, rule, .*money/],
    [['--json', '--fields', ','], /--fields takes field names/],
    [['--fields', 'target'], /use it with --json/],
    [['--json', '--money', '--fields', 'target'], /--money prints the money report instead/],
  ] as const) {
    const r = await e.rig.run(['status', ...args], { env });
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr).toMatch(message);
  }
});
