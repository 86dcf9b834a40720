/**
 * `npm run reliability`: the long reliability campaign. Prints one table — scenario | trials |
 * duplicates | rows lost | rows wrong | errors unclear — writes it with the details into
 * docs/RELIABILITY.md, and exits non-zero unless every failure column is zero.
 *
 *   RELIABILITY_KILLS=N (default 200) total SIGKILLs over the two crash scenarios.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { acceptedCase, damageCases, fuzzSources, SOURCE_CASES, sourceCase, type CaseOutcome } from './badinput.ts';
import { concurrencyTrial, type ConcurrencyCase } from './concurrency.ts';
import { crashCampaign, type CrashFigures } from './crash.ts';
import { faultCampaign, type FaultFigures } from './faults.ts';
import { REPO } from '../helpers/rig.ts';
import { referenceRun, type JobSpec } from './lib.ts';
import { secretsCheck } from './secrets.ts';

interface Row {
  scenario: string;
  what: string;
  trials: number;
  duplicates: number;
  lost: number;
  wrong: number;
  unclear: number;
  notes: string[];
}

const rows: Row[] = [];
const started = Date.now();
const log = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const totalKills = Number(process.env.RELIABILITY_KILLS ?? 200);

const CRASH_SPEC: JobSpec = { subjects: 8, records: 20, seed: 11 };
const FAULT_SPEC: JobSpec = { subjects: 8, records: 25, seed: 12 };
const CONC_SPEC: JobSpec = { subjects: 4, records: 12, seed: 13 };

function crashRow(name: string, what: string, f: CrashFigures): Row {
  return {
    scenario: name,
    what,
    trials: f.kills,
    duplicates: f.duplicates,
    lost: f.rowsLost,
    wrong: f.rowsWrong + (f.allIdentical ? 0 : 1),
    unclear: f.unexpected.length,
    notes: [
      `${f.kills} kills (${f.randomKills} at a random time, ${f.failpointKills} at a protocol failpoint) over ${f.rounds} fresh jobs, ${f.runs} CLI runs`,
      `batches created ${f.batchesCreated}, recorded in markers ${f.batchesRecorded} (orphans ${f.orphanBatches}, duplicate creates for one intent ${f.intentDuplicates}); request bodies executed twice: ${f.duplicateExecutions}`,
      `${f.rowsExpected} rows expected; merged files byte-identical to the uninterrupted run: ${f.allIdentical ? 'yes, every round' : 'NO'}`,
      ...f.unexpected.map((u) => `unexpected exit: ${u.slice(0, 400)}`),
    ],
  };
}

function faultRow(f: FaultFigures): Row {
  return {
    scenario: 'faults',
    what: 'hostile emulator: 30% 5xx (500/502/503) on every API route, a burst of 429s with retry-after before each run, 5% dropped connections, 5% replies slower (2.5 s) than the client timeout (PIPELINE_API_TIMEOUT_MS=1000), "Cannot find file" for 1 s after upload, 20% of request lines failing once with 500, random forced expiries, an enqueued-token limit of 60,000 tokens',
    trials: f.runs,
    duplicates: f.duplicates,
    lost: f.rowsLost,
    wrong: f.rowsWrong + (f.identical ? 0 : 1),
    unclear: f.unexpected.length + (f.finished ? 0 : 1),
    notes: [
      `${f.finished ? 'finished' : 'DID NOT FINISH'} after ${f.runs} runs in ${(f.ms / 1000).toFixed(0)} s (exit codes ${JSON.stringify(f.exits)}); ${f.apiCalls} API calls (${(f.apiCalls / f.runs).toFixed(1)} per run)`,
      `forced expiries ${f.expiriesForced}; batches failed by the token limit ${f.tokenLimitFailures}; most executions of one request body ${f.maxExecutionsPerRequest} (maxAttempts 3)`,
      `batches created ${f.batchesCreated}, recorded ${f.batchesRecorded} (orphans ${f.orphanBatches}); request bodies executed twice ${f.duplicateExecutions}`,
      `${f.rowsExpected} rows expected; byte-identical to the fault-free run: ${f.identical ? 'yes' : 'NO'}`,
      ...f.unexpected.map((u) => `unexpected exit: ${u.slice(0, 400)}`),
    ],
  };
}

function caseRow(scenario: string, what: string, outcomes: CaseOutcome[]): Row {
  const bad = outcomes.filter((o) => !o.ok);
  return { scenario, what, trials: outcomes.length, duplicates: 0, lost: 0, wrong: 0, unclear: bad.length, notes: [...outcomes.map((o) => `${o.ok ? 'ok' : 'FAILED'}: ${o.name}`), ...bad.map((o) => `${o.name}: ${o.why.slice(0, 600)}`)] };
}

async function crashes(): Promise<void> {
  const reference = await referenceRun(CRASH_SPEC);
  const offlineKills = Math.round(totalKills * 0.25);
  log(`crash (test-owned emulator): ${totalKills - offlineKills} kills`);
  const online = await crashCampaign({ spec: CRASH_SPEC, kills: totalKills - offlineKills, seed: 101, reference, failpointShare: 0.3, log: (l) => l.startsWith('round') && log(`crash: ${l}`) });
  rows.push(crashRow('crash', `SIGKILL of the build's process group at a random time (150–2500 ms after start) or at a random failpoint (${'after-intent, after-upload, after-creating, after-create, during-download, after-download, before-commit:{requests,batch,merge}'}), re-run after each; emulator owned by the harness (survives the kills); ${CRASH_SPEC.subjects} subjects × ${CRASH_SPEC.records} records per job`, online));
  log(`crash (--offline): ${offlineKills} kills`);
  const offline = await crashCampaign({ spec: CRASH_SPEC, kills: offlineKills, seed: 202, reference, offline: true, failpointShare: 0.3, log: (l) => l.startsWith('round') && log(`crash-offline: ${l}`) });
  rows.push(crashRow('crash --offline', 'the same with `build --offline`: the emulator runs inside the killed process, so it dies mid-request too; books counted from its durable state (batch list, executions.log)', offline));
}

async function faults(): Promise<void> {
  const reference = await referenceRun(FAULT_SPEC);
  log('faults: hostile run');
  const f = await faultCampaign({
    spec: FAULT_SPEC,
    reference,
    seed: 5,
    deadlineMs: 9 * 60_000,
    timeoutMs: 1000,
    burst429: 3,
    expireChance: 0.3,
    emulatorSpeed: 2,
    enqueuedTokenLimit: 60_000,
    faults: { http: [{ status: 500, rate: 0.1 }, { status: 502, rate: 0.1 }, { status: 503, rate: 0.1 }], dropRate: 0.05, slowMs: 2500, slowRate: 0.05, requestErrors: { rate5xx: 0.2, transientAttempts: 1 }, fileNotFoundAfterUploadMs: 1000 },
    log: (l) => log(`faults: ${l}`),
  });
  rows.push(faultRow(f));
}

async function badInput(): Promise<void> {
  log('bad input: source cases');
  const outcomes: CaseOutcome[] = [];
  for (const c of SOURCE_CASES) outcomes.push(await sourceCase(c));
  outcomes.push(await acceptedCase('BOM + CRLF'), await acceptedCase('10 MB line'));
  log('bad input: damage cases');
  outcomes.push(...(await damageCases()));
  rows.push(caseRow('bad input', 'each bad source beside good subjects, through requests → batch → merge: malformed JSON, missing/wrongly typed fields, empty file, invalid UTF-8, duplicate question_number (exit 1, file:line and target named, good subjects merged, no batch for the bad one); BOM + CRLF and a 10 MB line accepted; garbage lines in a results file, a truncated marker, a hand-edited marker, an invalid config (exit 2)', outcomes));
  log('bad input: property test');
  const fuzz: CaseOutcome[] = [];
  for (const seed of [1, 2, 3, 4]) fuzz.push(...(await fuzzSources(seed, 8)));
  rows.push(caseRow('bad input (property)', 'random source files (valid rows, broken JSON, missing/typed/empty fields, arrays, duplicates, BOM, CRLF): every invalid line reported as file:line, then with them removed every valid row merged in order', fuzz));
}

async function concurrency(): Promise<void> {
  const reference = await referenceRun(CONC_SPEC);
  const outcomes = [];
  for (const offline of [false, true]) {
    for (const kind of ['two-builds', 'watch+build', 'status-during-build'] as ConcurrencyCase[]) {
      for (let i = 0; i < 2; i++) {
        log(`concurrency: ${kind}${offline ? ' --offline' : ''} #${i + 1}`);
        outcomes.push(await concurrencyTrial(kind, CONC_SPEC, reference, offline));
      }
    }
  }
  rows.push({
    scenario: 'concurrency',
    what: 'two builds started together; watch and repeated builds side by side; status --json polled during a build — each with a test-owned emulator and with --offline',
    trials: outcomes.length,
    duplicates: outcomes.reduce((s, o) => s + o.duplicates, 0),
    lost: outcomes.reduce((s, o) => s + o.rowsLost, 0),
    wrong: outcomes.reduce((s, o) => s + o.rowsWrong, 0),
    unclear: outcomes.reduce((s, o) => s + o.unclear.length, 0),
    notes: outcomes.flatMap((o) => o.unclear.map((u) => `${o.case}${o.offline ? ' --offline' : ''}: ${u.slice(0, 500)}`)),
  });
}

async function secrets(): Promise<void> {
  log('secrets');
  const s = await secretsCheck();
  rows.push({
    scenario: 'secrets & exposure',
    what: 'a build with faults, a bad source, status/dry-run/cancel/graph and an unreachable server, all with a distinctive fake key: every file under the temp dir and all output searched for it; modes checked; the emulator probed on every non-loopback address',
    trials: s.filesSearched,
    duplicates: 0,
    lost: 0,
    wrong: 0,
    unclear: s.leaks.length + s.worldWritable.length + s.exposedOn.length,
    notes: [`${s.filesSearched} files and ${s.printed} characters of output searched: key found in ${s.leaks.length ? s.leaks.join(', ') : 'none'}`, `world-writable: ${s.worldWritable.length ? s.worldWritable.join(', ') : 'none'}`, `emulator reachable on non-loopback addresses: ${s.exposedOn.length ? s.exposedOn.join(', ') : 'none'}`],
  });
}

// Two lanes on two cores: the crash campaign alone, everything else beside it.
await Promise.all([crashes(), (async () => {
  await faults();
  await badInput();
  await concurrency();
  await secrets();
})()]);

const order = ['crash', 'crash --offline', 'faults', 'bad input', 'bad input (property)', 'concurrency', 'secrets & exposure'];
rows.sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario));
const header = ['scenario', 'trials', 'duplicates', 'rows lost', 'rows wrong', 'errors unclear'];
const cells = rows.map((r) => [r.scenario, String(r.trials), String(r.duplicates), String(r.lost), String(r.wrong), String(r.unclear)]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (c: string[]) => `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
const table = [line(header), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.map(line)].join('\n');
const failed = rows.some((r) => r.duplicates + r.lost + r.wrong + r.unclear > 0);
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
process.stdout.write(`${table}\n\n${failed ? 'FAILED: a failure column is not zero (details in docs/RELIABILITY.md)' : 'all failure columns are zero'} — ${minutes} min\n`);

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const doc = `# Reliability figures

Produced by \`npm run reliability\` (test/reliability/run.ts) on ${new Date().toISOString().slice(0, 10)},
${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${os.platform()} ${os.release()}; ${minutes} minutes
(${os.cpus().length} cores shared with other work, so timings are loose; the figures are not).

${table}

${failed ? '**FAILED**: a failure column is not zero.' : 'Every failure column is zero.'}

- **duplicates**: batches the provider holds that no marker records (paid for, never used), extra
  batches for one submission intent, and request bodies executed again after they had succeeded
  (the emulator's \`duplicateExecutions\`, or its execution log when it ran inside the killed process).
- **rows lost / rows wrong**: merged rows compared, by \`question_number\` and byte for byte, with an
  uninterrupted (or fault-free) run of the same sources; a merged file that is not byte-identical
  counts as one more wrong.
- **errors unclear**: an answer without the exit code, file, line or target it should name, a stack
  trace, a run that exited with anything but 0/75 when it was not killed, or a job that did not finish.

The fast versions of these checks run in \`npm test\` (test/reliability-fast/).

## Scenarios

${rows.map((r) => `### ${r.scenario}\n\n${r.what}.\n\n${r.notes.map((n) => `- ${n.replace(/\n/g, ' ')}`).join('\n')}\n`).join('\n')}
## Knobs used

- \`PIPELINE_API_TIMEOUT_MS\`: per-attempt timeout of API calls (default 60 s); the fault run sets 1000 ms
  so the emulator's slow replies time out.
- \`PIPELINE_FAILPOINT\`, \`PIPELINE_EMULATOR_SPEED\`; emulator controls \`/_emulator/faults\`,
  \`/_emulator/batches/{id}/expire\`.
- The merged output is deterministic (the stand-in model derives replies and usage from the request),
  so \`paraphrase_tokens\` matches too; raw result files legitimately differ (batch ids, timestamps).
`;
await mkdir(path.join(REPO, 'docs'), { recursive: true });
await writeFile(path.join(REPO, 'docs/RELIABILITY.md'), doc);
process.exitCode = failed ? 1 : 0;
