/**
 * The exit codes are one table (src/report/exit-codes.ts): the rule that picks a build's code, and
 * the README and `--help` agreeing with it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { exitCodeOf, exitCodesLine, exitCodesTable } from '../../src/report/exit-codes.ts';
import type { BuildSummary, TargetResult, TargetState } from '../../src/engine/events.ts';
import { REPO, runCliInProcess } from '../helpers/rig.ts';

function summary(...states: (TargetState | 'blocked-pending' | 'blocked-failed' | 'pending-failed')[]): BuildSummary {
  const results = new Map<string, TargetResult>();
  states.forEach((s, i) => {
    const target = `t${i}`;
    const r: TargetResult =
      s === 'blocked-pending'
        ? { target, rule: 'r', state: 'blocked', blockedBecause: 'pending', waitingOn: 'x' }
        : s === 'blocked-failed'
          ? { target, rule: 'r', state: 'blocked', blockedBecause: 'failed', waitingOn: 'x' }
          : s === 'pending-failed'
            ? { target, rule: 'r', state: 'pending', failure: { reason: 'provider-error', message: 'rejected' } }
            : { target, rule: 'r', state: s };
    results.set(target, r);
  });
  // Only the last target was asked for: its dependencies' states count too.
  return { results, requested: [`t${states.length - 1}`] };
}

it('work in flight wins over failures; 1 only when nothing is left to wait for', () => {
  expect(exitCodeOf(summary('fresh', 'built'))).toBe(0);
  expect(exitCodeOf(summary('failed', 'pending', 'blocked-pending'))).toBe(75);
  expect(exitCodeOf(summary('pending', 'blocked-failed'))).toBe(75);
  expect(exitCodeOf(summary('pending-failed'))).toBe(75);
  expect(exitCodeOf(summary('failed', 'built', 'blocked-failed'))).toBe(1);
  expect(exitCodeOf(summary('would-run', 'would-run'))).toBe(0);
});

it("the README's table is the code's table, and --help lists the same codes", async () => {
  const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
  const table = /<!-- exit-codes -->\n([\s\S]*?)\n<!-- \/exit-codes -->/.exec(readme)?.[1];
  expect(table, 'README.md has no <!-- exit-codes --> table').toBe(exitCodesTable());
  const main = await runCliInProcess(['--help'], { cwd: REPO });
  expect(main.stdout).toContain(exitCodesLine());
  const build = await runCliInProcess(['build', '--help'], { cwd: REPO });
  expect(build.stdout).toContain(exitCodesLine([0, 1, 2, 75]));
  expect(build.stdout).toContain('until pipeline build; do [ $? = 75 ] || break; sleep 60; done');
});
