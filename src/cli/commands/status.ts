/** `pipeline status`: each target's state, progress, tokens, cost and why; no lock, no changes. */
import path from 'node:path';
import { withDependencies } from '../../engine/build.ts';
import { describeHolder, liveLockHolder } from '../../engine/lock.ts';
import { collectStatus } from '../../engine/status.ts';
import { formatLearnedLimits, learnedLimitViews } from '../../report/learned-limits-report.ts';
import { formatMoney, moneyReport } from '../../report/money-report.ts';
import { parseStatusFields, pickFields } from '../../report/status-fields.ts';
import { renderStatus } from '../../report/status-table.ts';
import { readLearned } from '../../stages/batch/learned-limits.ts';
import { readSpend } from '../../stages/spend-log.ts';
import { systemClock } from '../../util/clock.ts';
import { flag, stringOption, type Command, type ParsedArgs } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';
import { connect, missingSetting } from '../connect.ts';
import { reportUsageError } from '../errors.ts';
import { UsageError } from '../project.ts';
import { firstRead, remoteWorkIn } from '../remote-work.ts';
import { makeServices } from '../services.ts';
import { projectAndTargets } from '../targets.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: COMMAND_SUMMARIES.status,
  usage: 'status [targets...] [options]',
  options: {
    json: { type: 'boolean', description: 'print the statuses as a JSON array' },
    offline: { type: 'boolean', description: 'refresh in-flight batches from the built-in emulator' },
    money: {
      type: 'boolean',
      description:
        'with --json: print the money report instead (spent, at standard price, to go; per target, rule, provider/model)',
    },
    limits: {
      type: 'boolean',
      description:
        'with --json: print the provider limits builds have learned instead (per provider, endpoint and model: stated, when, planned, forgotten after)',
    },
    fields: {
      type: 'string',
      value: 'LIST',
      description:
        'with --json: only these row fields, comma-separated (target, rule, state, reasons, money, …); the money report is made only when money is one',
    },
    html: {
      type: 'string',
      value: 'FILE',
      description: 'also write the overview as one self-contained web page (as `pipeline view` shows it)',
    },
  },
  notes:
    'In-flight batches are refreshed with one list call per 100 batches when an API key (or --offline) is available;\notherwise the last known state is shown. Needs no lock: safe to run during a build.',
  async run(args, io) {
    const selected = await projectAndTargets(args, io);
    if (typeof selected === 'number') return selected;
    const { project, requested } = selected;
    const fields = fieldsAsked(args);
    if (fields && !fields.ok) return reportUsageError(io.stderr, new UsageError(fields.message));
    // A build running with --offline owns the emulator's state; a second emulator on it could
    // advance the same batches twice, so status then shows the last known state instead.
    const busy = flag(args, 'offline') ? await liveLockHolder(path.join(project.root, project.stateDir)) : undefined;
    if (busy)
      io.stderr.write(
        `status: not refreshing from the emulator while ${describeHolder(busy)} runs; showing the last known state\n`,
      );
    // Nothing remote that is not up to date: nothing in flight to refresh, so no connection (and
    // no emulator with --offline). The stats, records and results of that check are the status pass's.
    const first = firstRead(project);
    const missing = flag(args, 'offline') ? undefined : missingSetting(project, io.env);
    const canConnect =
      remoteWorkIn(project, withDependencies(project.graph, requested), first) &&
      (flag(args, 'offline') ? !busy : missing === undefined);
    const connection = canConnect ? await connect(project, flag(args, 'offline'), io.env) : undefined;
    const conn = connection?.ok ? connection.value : undefined;
    try {
      const services = conn ? makeServices(conn, {}) : {};
      const statuses = await collectStatus({
        root: project.root,
        stateDir: project.stateDir,
        graph: project.graph,
        rules: project.rules,
        requested,
        services,
        clock: systemClock,
        signal: io.signal,
        ...first,
      });
      const html = stringOption(args, 'html');
      if (html) {
        const { writeStatusPage } = await import('../../view/status-page.ts');
        const source = conn
          ? { kind: conn.offline ? ('emulator' as const) : ('api' as const) }
          : { kind: 'files' as const, ...(busy ? { note: `not refreshed while ${describeHolder(busy)} runs` } : {}) };
        await writeStatusPage(path.resolve(io.cwd, html), { project, requested, statuses, source, signal: io.signal });
        io.stderr.write(`status: wrote ${html}\n`);
      }
      const stateDir = path.resolve(project.root, project.stateDir);
      // Made only when shown: `--json --fields` without money does not read the spend log.
      const wantsMoney = !fields || fields.fields.includes('money');
      const money = wantsMoney ? moneyReport(await readSpend(stateDir), statuses) : undefined;
      const now = systemClock.now();
      const json = flag(args, 'json');
      const limits = !json || flag(args, 'limits') ? learnedLimitViews(readLearned(stateDir).values(), now) : undefined;
      if (json && limits) io.stdout.write(`${JSON.stringify(limits, null, 2)}\n`);
      else if (json && flag(args, 'money')) io.stdout.write(`${JSON.stringify(money, null, 2)}\n`);
      else if (flag(args, 'json')) {
        const whole = statuses.map((s) => (money?.byTarget[s.target] ? { ...s, money: money.byTarget[s.target] } : s));
        const rows = fields ? whole.map((row) => pickFields(row, fields.fields)) : whole;
        io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else {
        io.stdout.write(renderStatus(io.stdout, statuses, systemClock.now()));
        if (money) io.stdout.write(formatMoney(money));
        if (limits) io.stdout.write(formatLearnedLimits(limits, now));
        if (!conn && statuses.some((s) => s.remote && s.state === 'pending'))
          io.stdout.write(
            `(in-flight batches not refreshed: ${missing ? `no ${missing}` : 'the emulator is busy'}; add --offline for the emulator)\n`,
          );
      }
      return 0;
    } finally {
      await conn?.close();
    }
  },
};

/** `--fields`, checked: undefined when not given (whole rows, money included). */
function fieldsAsked(args: ParsedArgs): ReturnType<typeof parseStatusFields> | undefined {
  const text = stringOption(args, 'fields');
  if (text === undefined) return undefined;
  if (!flag(args, 'json'))
    return { ok: false, message: '--fields picks the fields of --json rows: use it with --json' };
  if (flag(args, 'money'))
    return {
      ok: false,
      message: '--fields picks row fields; --money prints the money report instead: use one of them',
    };
  return parseStatusFields(text);
}
