/**
 * `npm run reliability`: the long reliability campaign. Prints one table — scenario | trials |
 * duplicates | rows lost | rows wrong | errors unclear — writes it with the details into
 * docs/RELIABILITY.md, and exits non-zero unless every failure column is zero.
 *
 *   RELIABILITY_KILLS=N (default 200) total SIGKILLs over the two crash scenarios.
 *   RELIABILITY_ANTHROPIC_KILLS=N (default half of RELIABILITY_KILLS) the same on Anthropic.
 *   RELIABILITY_PROVIDER_KILLS=N (default a fifth of RELIABILITY_KILLS) the same on each of Gemini,
 *     Mistral and Bedrock.
 *   RELIABILITY_ONLY=name[,name…] (or the names as arguments) runs only those scenarios:
 *     crash, faults, crash-anthropic, faults-anthropic, crash-gemini, faults-gemini,
 *     crash-mistral, faults-mistral, crash-bedrock, faults-bedrock, bad-input, concurrency,
 *     secrets, lost-results, global-limits, endless-expiry, queue-limit, lagging-lists,
 *     lock-races, online-crash; `holes` = lost-results to lock-races; `anthropic` (or `gemini`,
 *     `mistral`, `bedrock`) = that provider's crash and faults. A subset writes its report to a
 *     temp file (printed), never to docs/RELIABILITY.md.
 *
 *   RELIABILITY_ONLY=holes npx tsx test/reliability/run.ts
 *   npx tsx test/reliability/run.ts lost-results endless-expiry
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { acceptedCase, damageCases, fuzzSources, SOURCE_CASES, sourceCase, type CaseOutcome } from './badinput.ts';
import { concurrencyTrial, type ConcurrencyCase } from './concurrency.ts';
import { crashCampaign, type CrashFigures } from './crash.ts';
import type { FaultOptions } from '../../src/emulator/index.ts';
import { providerSpec } from '../../src/providers/registry.ts';
import { faultCampaign, type FaultFigures } from './faults.ts';
import {
  combined,
  endlessExpiryCampaign,
  globalLimitsCampaign,
  lostResultsCampaign,
  type GlobalLimitsFigures,
  type HoleFigures,
} from './holes.ts';
import { hours, laggingListsCampaign } from './lagging-lists.ts';
import { lockRaceCampaign } from './lock-races.ts';
import { queueLimitCampaign } from './queue-limit.ts';
import { REPO } from '../helpers/rig.ts';
import { failpointsOf, referenceRun, type JobSpec } from './lib.ts';
import type { BatchProvider } from '../helpers/test-providers.ts';
import { secretsCheck } from './secrets.ts';
import { onlineCrashCampaign } from './online-crash.ts';
import { structuredCampaign } from './structured.ts';

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
/** The machine is shared: its load when the campaign starts and ends goes beside the timings. */
const loadAtStart = os.loadavg()[0]!;
const log = (line: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const totalKills = Number(process.env.RELIABILITY_KILLS ?? 200);
const anthropicKills = Number(process.env.RELIABILITY_ANTHROPIC_KILLS ?? Math.round(totalKills / 2));
const providerKills = Number(process.env.RELIABILITY_PROVIDER_KILLS ?? Math.round(totalKills / 5));
/**
 * The fault row's wall-clock bound (RELIABILITY_FAULT_MINUTES scales it down to check the harness).
 * 25 min: with 30% 5xx on create, a build whose last create got a 5xx leaves that part unconfirmable
 * until the 10-minute adoption retry window passes (adoption.ts), so the job takes 20+ minutes
 * (1302 s in the last campaign; 9 min cut it off).
 */
const faultMinutes = Number(process.env.RELIABILITY_FAULT_MINUTES ?? 25);

const CRASH_SPEC: JobSpec = { subjects: 8, records: 20, seed: 11 };
const FAULT_SPEC: JobSpec = { subjects: 8, records: 25, seed: 12 };
const CONC_SPEC: JobSpec = { subjects: 4, records: 12, seed: 13 };
const LOST_SPEC: JobSpec = { subjects: 6, records: 10, seed: 14 };
const LIMITS_SPEC: JobSpec = { subjects: 4, records: 40, seed: 15 };
const EXPIRY_SPEC: JobSpec = { subjects: 6, records: 5, seed: 16 };
/** The real job: the generator's 57 subjects with their MMLU test-split sizes (14,042 records). */
const QUEUE_SPEC: JobSpec = { subjects: 57, seed: 17 };
/** issue #18's provider: 200,000 enqueued tokens. */
const QUEUE_LIMIT = 200_000;
const LAG_SPEC: JobSpec = { subjects: 8, records: 12, seed: 18 };
const LAG_SKEWS_MS = [-3 * 3_600_000, 5 * 3_600_000, -11 * 3_600_000];
/** Longer than the 30 s the tool once trusted the list to lag by, shorter than its 10 min retry window. */
const LAG_MS = 45_000;
const LOCK_SPEC: JobSpec = { subjects: 2, records: 6, seed: 19 };
/** 20 trials: races on a free lock (2 and 3 racers) and on each kind of lock the racers may find. */
const LOCK_TRIALS = Array.from({ length: 4 }, () => [
  { racers: 2, kind: 'free' as const },
  { racers: 3, kind: 'free' as const },
  { racers: 3, kind: 'being-written' as const },
  { racers: 3, kind: 'torn-and-old' as const },
  { racers: 2, kind: 'dead-holder' as const },
]).flat();

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

const PROVIDER_NOTES: Record<BatchProvider, string> = {
  openai: '',
  anthropic: 'on Anthropic (Message Batches routes of the same emulator, @anthropic-ai/sdk)',
  gemini:
    "on Gemini Batch Mode (its routes of the same emulator, @google/genai and REST; parts as JSONL files through the Files API, a lost create found by the intent in the batch's display name)",
  mistral:
    "on Mistral batch (its routes of the same emulator, @mistralai/mistralai; a lost create found by the intent in the job's metadata)",
  bedrock:
    "on AWS Bedrock batch inference (the emulator's S3 and Bedrock, @aws-sdk/client-bedrock and client-s3; a lost create answered again by its clientRequestToken)",
};
const providerNote = (provider: BatchProvider) => PROVIDER_NOTES[provider];

function faultRow(f: FaultFigures, provider: BatchProvider = 'openai'): Row {
  return {
    scenario: provider === 'openai' ? 'faults' : `faults (${provider})`,
    what: FAULT_WHAT[provider],
    trials: f.runs,
    duplicates: f.duplicates,
    lost: f.rowsLost,
    wrong: f.rowsWrong + (f.identical ? 0 : 1),
    // An unfinished run's last output is in `unexpected`: it counts once.
    unclear: f.unexpected.length + (f.finished || f.unexpected.length > 0 ? 0 : 1),
    notes: [
      `${f.finished ? 'finished' : 'DID NOT FINISH'} after ${f.runs} runs in ${(f.ms / 1000).toFixed(0)} s (exit codes ${JSON.stringify(f.exits)}); ${f.apiCalls} API calls (${(f.apiCalls / f.runs).toFixed(1)} per run)`,
      `forced expiries ${f.expiriesForced}; batches failed by the token limit ${f.tokenLimitFailures}; most executions of one request body ${f.maxExecutionsPerRequest} (maxAttempts 3)`,
      `batches created ${f.batchesCreated}, recorded ${f.batchesRecorded} (orphans ${f.orphanBatches}); request bodies executed twice ${f.duplicateExecutions}${provider === 'openai' ? '' : `; creates whose answer was lost found again ${f.lostCreatesFound} (${providerSpec(provider).traits.findsLostCreates === 'idempotent' ? 'answered again by their token' : 'adopted'})`}`,
      `${f.rowsExpected} rows expected; byte-identical to the fault-free run: ${f.identical ? 'yes' : 'NO'}`,
      ...f.unexpected.map((u) => `unexpected exit: ${u.slice(0, 400)}`),
    ],
  };
}

/** The same hostility on the providers added with the provider seam: their own error statuses, the lost create each finds its own way. */
const SEAM_FAULTS =
  '10% 500 and 10% 503 on every route of the flavour, a burst of 429s with retry-after before each run, 5% dropped connections, 5% replies slower (2.5 s) than the client timeout (PIPELINE_API_TIMEOUT_MS=1000), 10% of creates taking effect with their answer lost, 20% of requests failing once with a transient error';

const FAULT_WHAT: Record<BatchProvider, string> = {
  openai:
    'hostile emulator: 30% 5xx (500/502/503) on every API route, a burst of 429s with retry-after before each run, 5% dropped connections, 5% replies slower (2.5 s) than the client timeout (PIPELINE_API_TIMEOUT_MS=1000), "Cannot find file" for 1 s after upload, 20% of request lines failing once with 500, random forced expiries, an enqueued-token limit of 60,000 tokens',
  anthropic: `hostile emulator ${providerNote('anthropic')}: 30% 5xx (500/529 overloaded/503) on every Message Batches route, a burst of 429s with retry-after before each run, 5% dropped connections, 5% replies slower (2.5 s) than the client timeout (PIPELINE_API_TIMEOUT_MS=1000), 10% of creates taking effect with their answer lost (adopted only once proven by custom ids), 20% of requests errored once (overloaded_error / api_error), random forced expiries`,
  gemini: `hostile emulator ${providerNote('gemini')}: ${SEAM_FAULTS} (rows answered with a google.rpc.Status of INTERNAL or UNAVAILABLE; a lost create found again by the intent its display name carries), random forced expiries (Gemini's EXPIRED keeps no results: every request of the batch is sent again)`,
  mistral: `hostile emulator ${providerNote('mistral')}: ${SEAM_FAULTS} (error-file lines of 500/503; a lost create found again by the intent in its metadata), random forced expiries (TIMEOUT_EXCEEDED, what ran kept)`,
  bedrock: `hostile emulator ${providerNote('bedrock')}: ${SEAM_FAULTS.replace('every route of the flavour', 'every Bedrock and S3 route')} (records answered with an error; a lost create sent again with the same clientRequestToken, which answers the job it made), every job cut at half its records (PartiallyCompleted: what ran kept, the rest sent again in a job of its own; Bedrock has no expire control)`,
};

function caseRow(scenario: string, what: string, outcomes: CaseOutcome[]): Row {
  const bad = outcomes.filter((o) => !o.ok);
  return {
    scenario,
    what,
    trials: outcomes.length,
    duplicates: 0,
    lost: 0,
    wrong: 0,
    unclear: bad.length,
    notes: [
      ...outcomes.map((o) => `${o.ok ? 'ok' : 'FAILED'}: ${o.name}`),
      ...bad.map((o) => `${o.name}: ${o.why.slice(0, 600)}`),
    ],
  };
}

/**
 * Anthropic (Message Batches): requests inline in create, so no upload failpoints; no batch
 * metadata, so a create whose answer a kill cut off is found by size and time and adopted only
 * once its results prove it by custom ids — what these rows exercise. Orphans count any extra
 * create (there is no intent in metadata to count duplicates by). Gemini keeps the intent in the
 * batch's display name, Mistral in its metadata; Bedrock's create takes it as its idempotency
 * token (each spec's `findsLostCreates`).
 */
const SEEDS: Record<BatchProvider, { crash: number; offline: number; faults: number }> = {
  openai: { crash: 101, offline: 202, faults: 5 },
  anthropic: { crash: 303, offline: 404, faults: 6 },
  gemini: { crash: 505, offline: 606, faults: 7 },
  mistral: { crash: 707, offline: 808, faults: 8 },
  bedrock: { crash: 909, offline: 1010, faults: 9 },
};

async function crashes(provider: BatchProvider = 'openai'): Promise<void> {
  const spec: JobSpec = { ...CRASH_SPEC, provider };
  const kills = provider === 'openai' ? totalKills : provider === 'anthropic' ? anthropicKills : providerKills;
  const suffix = provider === 'openai' ? '' : ` (${provider})`;
  const reference = await referenceRun(spec);
  const offlineKills = Math.round(kills * 0.25);
  log(`crash${suffix} (test-owned emulator): ${kills - offlineKills} kills`);
  const online = await crashCampaign({
    spec,
    kills: kills - offlineKills,
    seed: SEEDS[provider].crash,
    reference,
    failpointShare: 0.3,
    log: (l) => l.startsWith('round') && log(`crash${suffix}: ${l}`),
  });
  const all = failpointsOf(provider);
  const points = `${all.filter((p) => !p.startsWith('before-commit')).join(', ')}, before-commit:{requests,batch,merge}${all.includes('after-upload') ? '' : '; no upload steps'}`;
  rows.push(
    crashRow(
      `crash${suffix}`,
      `SIGKILL of the build's process group at a random time (150–2500 ms after start) or at a random failpoint (${points}), re-run after each; emulator owned by the harness (survives the kills); ${CRASH_SPEC.subjects} subjects × ${CRASH_SPEC.records} records per job${provider === 'openai' ? '' : `; ${providerNote(provider)}`}`,
      online,
    ),
  );
  log(`crash${suffix} (--offline): ${offlineKills} kills`);
  const offline = await crashCampaign({
    spec,
    kills: offlineKills,
    seed: SEEDS[provider].offline,
    reference,
    offline: true,
    failpointShare: 0.3,
    log: (l) => l.startsWith('round') && log(`crash-offline${suffix}: ${l}`),
  });
  rows.push(
    crashRow(
      `crash --offline${suffix}`,
      "the same with `build --offline`: the emulator runs inside the killed process, so it dies mid-request too; books counted from its durable state (batch list, the flavour's executions.log)",
      offline,
    ),
  );
}

async function faults(provider: BatchProvider = 'openai'): Promise<void> {
  const spec: JobSpec = { ...FAULT_SPEC, provider };
  const reference = await referenceRun(spec);
  const suffix = provider === 'openai' ? '' : ` (${provider})`;
  log(`faults${suffix}: hostile run`);
  const f = await faultCampaign({
    spec,
    reference,
    seed: SEEDS[provider].faults,
    deadlineMs: faultMinutes * 60_000,
    timeoutMs: 1000,
    burst429: 3,
    expireChance: 0.3,
    emulatorSpeed: 2,
    ...(provider === 'openai' ? { enqueuedTokenLimit: 60_000 } : {}),
    faults: FAULTS[provider],
    log: (l) => log(`faults${suffix}: ${l}`),
  });
  rows.push(faultRow(f, provider));
}

/** Per provider: OpenAI's enqueued-token limit and "Cannot find file", Anthropic's 529 overload, the lost creates each finds its own way. */
const SEAM_FAULT_OPTIONS = (create: string): FaultOptions => ({
  http: [
    { status: 500, rate: 0.1 },
    { status: 503, rate: 0.1 },
  ],
  dropRate: 0.05,
  slowMs: 2500,
  slowRate: 0.05,
  requestErrors: { rate5xx: 0.2, transientAttempts: 1 },
  lostReplyRate: 0.1,
  lostReplyRoutes: [create],
});
const FAULTS: Record<BatchProvider, FaultOptions> = {
  openai: {
    http: [
      { status: 500, rate: 0.1 },
      { status: 502, rate: 0.1 },
      { status: 503, rate: 0.1 },
    ],
    dropRate: 0.05,
    slowMs: 2500,
    slowRate: 0.05,
    requestErrors: { rate5xx: 0.2, transientAttempts: 1 },
    fileNotFoundAfterUploadMs: 1000,
  },
  anthropic: {
    http: [
      { status: 500, rate: 0.1 },
      { status: 529, rate: 0.1 },
      { status: 503, rate: 0.1 },
    ],
    dropRate: 0.05,
    slowMs: 2500,
    slowRate: 0.05,
    requestErrors: { rate5xx: 0.2, transientAttempts: 1 },
    lostReplyRate: 0.1,
    lostReplyRoutes: ['POST /v1/messages/batches'],
  },
  gemini: SEAM_FAULT_OPTIONS('POST /v1beta/models/{model}:batchGenerateContent'),
  mistral: SEAM_FAULT_OPTIONS('POST /mistral/v1/batch/jobs'),
  // Bedrock has no expire control: its jobs are cut at half their records instead (PartiallyCompleted).
  bedrock: { ...SEAM_FAULT_OPTIONS('POST /model-invocation-job'), expireAfterFraction: 0.5 },
};

async function badInput(): Promise<void> {
  log('bad input: source cases');
  const outcomes: CaseOutcome[] = [];
  for (const c of SOURCE_CASES) outcomes.push(await sourceCase(c));
  outcomes.push(await acceptedCase('BOM + CRLF'), await acceptedCase('10 MB line'));
  log('bad input: damage cases');
  outcomes.push(...(await damageCases()));
  rows.push(
    caseRow(
      'bad input',
      'each bad source beside good subjects, through requests → batch → merge: malformed JSON, missing/wrongly typed fields, empty file, invalid UTF-8, duplicate question_number (exit 1, file:line and target named, good subjects merged, no batch for the bad one); BOM + CRLF and a 10 MB line accepted; garbage lines in a results file, a truncated marker, a hand-edited marker, an invalid config (exit 2)',
      outcomes,
    ),
  );
  log('bad input: property test');
  const fuzz: CaseOutcome[] = [];
  for (const seed of [1, 2, 3, 4]) fuzz.push(...(await fuzzSources(seed, 8)));
  rows.push(
    caseRow(
      'bad input (property)',
      'random source files (valid rows, broken JSON, missing/typed/empty fields, arrays, duplicates, BOM, CRLF): every invalid line reported as file:line, then with them removed every valid row merged in order',
      fuzz,
    ),
  );
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
    notes: outcomes.flatMap((o) =>
      o.unclear.map((u) => `${o.case}${o.offline ? ' --offline' : ''}: ${u.slice(0, 500)}`),
    ),
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
    notes: [
      `${s.filesSearched} files and ${s.printed} characters of output searched: key found in ${s.leaks.length ? s.leaks.join(', ') : 'none'}`,
      `world-writable: ${s.worldWritable.length ? s.worldWritable.join(', ') : 'none'}`,
      `emulator reachable on non-loopback addresses: ${s.exposedOn.length ? s.exposedOn.join(', ') : 'none'}`,
    ],
  });
}

/** The figures every hole row shares: exits, books and rows, then the unclear answers. */
function holeNotes(f: HoleFigures): string[] {
  return [
    `batches created ${f.batchesCreated}, recorded in markers ${f.batchesRecorded} (orphans ${f.orphanBatches}, duplicate creates for one intent ${f.intentDuplicates}); request bodies executed again after a success: ${f.duplicateExecutions}`,
    `${f.rowsExpected} rows expected; merged files byte-identical to the reference run: ${f.identical ? 'yes' : 'NO'}; ${f.runs} CLI runs (exit codes ${JSON.stringify(f.exits)}), ${(f.ms / 1000).toFixed(0)} s`,
    ...f.unclear.map((u) => `unclear: ${u.slice(0, 500)}`),
  ];
}

function holeRow(scenario: string, what: string, trials: number, f: HoleFigures, notes: string[]): Row {
  return {
    scenario,
    what,
    trials,
    duplicates: f.duplicates,
    lost: f.rowsLost,
    wrong: f.rowsWrong + (f.identical ? 0 : 1),
    unclear: f.unclear.length,
    notes: [...notes, ...holeNotes(f)],
  };
}

async function lostResults(): Promise<void> {
  const reference = await referenceRun(LOST_SPEC);
  log('lost result files');
  const rounds = 2;
  const f = await lostResultsCampaign({
    spec: LOST_SPEC,
    reference,
    seed: 31,
    rounds,
    deleteChance: 0.7,
    maxLossesPerSubject: 3,
    requestErrorRate: 0.25,
    maxRuns: 25,
    log: (l) => log(`lost results: ${l}`),
  });
  rows.push(
    holeRow(
      'lost result files',
      `${rounds} fresh jobs of ${LOST_SPEC.subjects} subjects × ${LOST_SPEC.records} records, each re-run with plain \`build\` until done (stuck after 25 runs); after each run, every batch the tool has sent but not yet downloaded is left to finish at the provider, then loses its output file, its error file or both (DELETE /v1/files/{id} through the Files API) with a 70% chance, at most 3 times per subject (below maxUnansweredAttempts 5, so every row must still come back); 25% of request lines fail once with a 5xx so batches have error files to lose. Every lost request must be sent again and merged byte-identical to the reference, every loss reported by the next build ("results of batch_… are gone (404 on its output file file-…)"), with no extra batch for one intent and no orphan. Trials are batches that lost files. "duplicates" also counts request bodies run again beyond the successes the campaign deleted (those are paid again by design); a loss never reported, or a stuck job, is unclear`,
      f.batchesHit,
      f,
      [
        `${f.batchesHit} batches lost files before the tool downloaded them (${f.outputFilesDeleted} output files, ${f.errorFilesDeleted} error files, ${f.linesLost} result lines); ${f.reported} of these losses reported by the next build${f.sample ? ` (e.g. "${f.sample}")` : ''}`,
        `${f.finished ? 'every job finished' : 'a job DID NOT FINISH'}; most runs for one job ${f.mostRunsInARound}; successes deleted (so run again by design) ${f.reExecutionsExpected}`,
      ],
    ),
  );
}

async function globalLimits(): Promise<void> {
  const reference = await referenceRun(LIMITS_SPEC);
  const legs: GlobalLimitsFigures[] = [];
  for (const leg of ['tokens', 'batches'] as const) {
    log(`global limits: ${leg}`);
    legs.push(
      await globalLimitsCampaign({
        spec: LIMITS_SPEC,
        reference,
        seed: leg === 'tokens' ? 41 : 42,
        leg,
        fit: leg === 'tokens' ? 2 : 1,
        log: (l) => log(`global limits: ${l}`),
      }),
    );
  }
  const [t, b] = legs as [GlobalLimitsFigures, GlobalLimitsFigures];
  const merged = combined(legs);
  rows.push(
    holeRow(
      'global limits across selections',
      `${LIMITS_SPEC.subjects} subjects × ${LIMITS_SPEC.records} records built one subject at a time (\`build paraphrased/<subject>.jsonl\`, rotating through the subjects not done yet, until each exits 0), the provider's clock standing still during a build and moving 0.3–1.2 s between builds (a batch takes ~2.3 s) so batches of other subjects are still in flight: once with \`--max-enqueued-tokens N\` on every build, N = the two largest request files (two subjects fit, three never do), once with the rule's \`maxInFlightBatches: 1\` in the config. After every build the batches in flight at the provider are counted; more than the limit, the emulator's tokensEnqueuedPeak above N, or a subject not done after 15 builds per subject counts as unclear. Trials are builds`,
      t.builds + b.builds,
      merged,
      [
        `--max-enqueued-tokens ${t.limit} (request files ${t.subjectTokens.min}–${t.subjectTokens.max} estimated tokens): ${t.finished ? 'done' : 'NOT DONE'} after ${t.builds} builds, ${t.queuedBuilds} found no room and queued; most in flight after a build ${t.mostBatchesInFlight} batches / ${t.mostTokensInFlight} tokens; the provider's enqueued peak ${t.peakEnqueued}`,
        `maxInFlightBatches ${b.limit} (config): ${b.finished ? 'done' : 'NOT DONE'} after ${b.builds} builds, ${b.queuedBuilds} found no room and queued; most batches in flight after a build ${b.mostBatchesInFlight}`,
      ],
    ),
  );
}

async function endlessExpiry(): Promise<void> {
  const reference = await referenceRun(EXPIRY_SPEC);
  log('endless expiry');
  const f = await endlessExpiryCampaign({ spec: EXPIRY_SPEC, reference, log: (l) => log(`endless expiry: ${l}`) });
  rows.push(
    holeRow(
      'endless expiry',
      `${EXPIRY_SPEC.subjects} subjects × ${EXPIRY_SPEC.records} records (one part each) against a provider where every batch expires before running a request (\`expireAfterFraction: 0\`), plain \`build\` re-run: it must end with exit 1 (not 75 forever) within ${2 * f.cap + 4} runs, after exactly subjects × maxUnansweredAttempts (${f.cap}) batches, the failure naming every row with its results file and custom id; then, the fault removed, the next builds (a fresh round each) must finish the job byte-identical to the reference within 10 runs. A stuck build, a different batch count or a row not named counts as unclear. Trials are CLI runs`,
      f.runs,
      f,
      [
        `with every batch expiring: exit ${String(f.endExit)} after ${f.runsUntilEnd} runs; ${f.batchesExpired} batches expired of ${f.batchesExpected} expected (${EXPIRY_SPEC.subjects} × ${f.cap}); ${f.rowsNamed} of ${f.rowsToName} rows named${f.sample ? ` (e.g. "${f.sample}")` : ''}`,
        `after the provider recovered: ${f.finished ? 'done' : 'NOT DONE'} after ${f.runsAfterRecovery} runs`,
      ],
    ),
  );
}

async function laggingLists(): Promise<void> {
  const reference = await referenceRun(LAG_SPEC);
  log('lagging lists and skewed clocks');
  const f = await laggingListsCampaign({
    spec: LAG_SPEC,
    reference,
    seed: 61,
    skewsMs: LAG_SKEWS_MS,
    listLagMs: LAG_MS,
    lostReplyRate: 0.5,
    maxRuns: 80,
    log: (l) => log(`lagging lists: ${l}`),
  });
  rows.push(
    holeRow(
      'lagging lists and skewed clocks',
      `issue #11.5: ${LAG_SKEWS_MS.length} fresh jobs of ${LAG_SPEC.subjects} subjects × ${LAG_SPEC.records} records (requests → batch → merge), each against an emulator whose clock is skewed by ${LAG_SKEWS_MS.map(hours).join(', ')} against the tool's, whose batch list leaves out every batch younger than ${LAG_MS / 1000} s (retrieve by id sees it at once; longer than the 30 s the tool once trusted the list to lag by, shorter than its 10 min retry window) and which loses the reply to 50% of \`POST /v1/batches\` after making the batch (the socket is destroyed instead of answering). Plain \`build\` re-run until exit 0 (stuck after 80 runs). Every batch made without a confirmed create must be adopted (found by its intent in the list once it shows), never created a second time; a job not done, a batch neither confirmed nor adopted, or an extra batch for one intent counts. Trials are CLI runs`,
      f.runs,
      f,
      [
        `${f.adoptions} creates whose reply was lost, ${f.adoptions} adopted (${f.unconfirmedCreates} batches made without a confirmed create); ${f.lagWaits} builds waited on the lagging list ("the provider's list may lag") instead of creating again; the longest wait from a lost create to the end of the build that adopted it ${(f.longestAdoptionMs / 1000).toFixed(0)} s`,
        `${f.finished ? 'every job finished' : 'a job DID NOT FINISH'}; most builds for one job ${f.mostRunsInARound}`,
      ],
    ),
  );
}

async function lockRaces(): Promise<void> {
  const reference = await referenceRun(LOCK_SPEC);
  log('lock races');
  const f = await lockRaceCampaign({
    spec: LOCK_SPEC,
    reference,
    trials: LOCK_TRIALS,
    log: (l) => log(`lock races: ${l}`),
  });
  const k = f.kinds;
  rows.push(
    holeRow(
      'lock races',
      `issue #11.2: ${f.trials} trials, each a fresh job of ${LOCK_SPEC.subjects} subjects × ${LOCK_SPEC.records} records and 2 or 3 \`build\`s spawned at the same moment through the real CLI, their attempts to create the lock held by a preloaded barrier (test/reliability/fixtures/lock-barrier.ts, around \`fs.promises.link\` only) until one shared millisecond, whatever their start-up took: ${k.free} races on a free lock; ${k['being-written']} on the creation window as an older version left it (an empty lock file made 1 s before, as by a writer that created it and has not written it yet: every racer must wait naming "a process whose lock file is still being written" and leave it alone); ${k['torn-and-old']} on a torn lock older than the 5 s grace (its writer died mid-write) and ${k['dead-holder']} on a lock naming a dead pid (both: exactly one racer takes it over). Exactly one racer may create the lock file and proceed, every other one must exit 75 naming the winner's pid and change nothing; then plain \`build\` until done. Two holders, a refusal that names no holder or the wrong one, or a stuck job counts. Trials are races`,
      f.trials,
      f,
      [
        `${f.racers} racers: ${f.oneWinner} races with exactly one winner named by every loser, ${f.allWaited} with every racer waiting on the lock being written, ${f.doubleHolds} with two holders; lock attempts lined up within ${f.widestSpreadMs} ms at worst (${f.lateRacers} racers reached the lock after the barrier because their start-up took longer than the allowance)`,
      ],
    ),
  );
}

async function queueLimit(): Promise<void> {
  const reference = await referenceRun(QUEUE_SPEC);
  log('queue limit below a request file (full job)');
  const f = await queueLimitCampaign({
    spec: QUEUE_SPEC,
    reference,
    limit: { tokens: QUEUE_LIMIT },
    emulatorSpeed: 200,
    backoffSeconds: 2,
    pollSeconds: 0.02,
    waitSliceMs: 20_000,
    deadlineMs: 75 * 60_000,
    log: (l) => log(`queue limit: ${l}`),
  });
  const above = f.subjectsAboveLimit;
  rows.push(
    holeRow(
      'queue limit below a request file',
      `issue #18 at full scale: the generator's ${f.subjects} subjects with the real MMLU test-split sizes (${f.records.toLocaleString('en-US')} records, ${f.jobTokens.toLocaleString('en-US')} estimated input tokens; request files ${f.fileTokens.min.toLocaleString('en-US')}–${f.fileTokens.max.toLocaleString('en-US')} tokens, ${above} of them alone above the limit) against an emulator (speed 200) whose enqueued-token limit is ${f.limit.toLocaleString('en-US')} tokens, ${((f.limit / f.jobTokens) * 100).toFixed(1)}% of the job. No limit flag and no maxEnqueuedTokens; the rule's tokenLimitBackoffSeconds is 2 (default 60) to keep the run short. Plain \`build\` until .pipeline/provider-limits.json appears (the first round fails on the limit), then \`build --wait --poll-interval 0.02\`, interrupted with SIGINT every 20 s and started again (its polls back off to 60 s), until exit 0 (stuck after 75 min). Any batch failed after the limit was learned, a provider peak above the limit, a wrong learned limit or a stuck job counts as unclear. A scaled-down variant (10 subjects × 4 records, a limit below every request file) runs in test/reliability-fast/queue-limit.test.ts. Trials are CLI runs`,
      f.runs,
      f,
      [
        `limit learned (${String(f.learnedLimit)}) after ${f.runsToLearn} plain builds; token-limit failures: ${f.firstRoundFailures} in the first round, ${f.failuresAfterLearned} after the limit was learned`,
        `${f.finished ? 'finished' : 'DID NOT FINISH'} after ${f.waitRuns} build --wait runs; ${f.batchesCompleted} batches completed (at most ${f.mostPartsPerSubject} per subject); the provider's enqueued peak ${f.peakEnqueued.toLocaleString('en-US')} (limit ${f.limit.toLocaleString('en-US')})`,
      ],
    ),
  );
}

const ONLINE_KILLS = 50;

async function onlineCrash(): Promise<void> {
  log('online crash');
  const f = await onlineCrashCampaign({
    kills: ONLINE_KILLS,
    seed: 21,
    files: 4,
    requestsPerFile: 150,
    log: (l) => log(`online crash: ${l}`),
  });
  rows.push({
    scenario: 'online crash',
    what: `issue #13: the online runner (${f.requests} requests in 4 request files, 6 at a time, 40 ms + 1 ms per output token of emulator latency) SIGKILLed ${ONLINE_KILLS} times, each once the emulator had received 1–12 more requests, then \`build\` run to the end. A duplicate is a body answered more often than a kill lost its request in flight (those answers are lost with the process and the request is sent again: counted apart). Trials are kills`,
    trials: f.kills,
    duplicates: f.duplicates,
    lost: f.rowsLost,
    wrong: 0,
    unclear: f.finished ? 0 : 1,
    notes: [
      `${f.finished ? 'finished' : 'DID NOT FINISH'} after ${f.runs} CLI runs; ${f.lostInFlight} requests were in flight at a kill, ${f.reanswered} of them had been answered by the server and were answered again`,
    ],
  });
}

const STRUCTURED_KILLS = 10;

async function structured(): Promise<void> {
  log('structured outputs');
  const f = await structuredCampaign({ subjects: 4, records: 50, invalidRate: 0.2, kills: STRUCTURED_KILLS, seed: 14 });
  rows.push({
    scenario: 'structured outputs',
    what: `issue #14: 20% of structured replies invalid (not JSON, a missing field, truncated, refused; fixed by the body), each re-asked up to 2 times with the validation error appended, ${STRUCTURED_KILLS} runs SIGKILLed at a random failpoint, then \`build\` to the end. A row is lost when it is neither valid in the merged file nor named by the merge; a duplicate is a body executed again other than to re-ask an invalid reply, or a batch created twice. Trials are rows`,
    trials: f.rows,
    duplicates: f.duplicates + Math.max(0, f.batchesCreated - f.batchesRecorded),
    lost: f.lost,
    wrong: 0,
    unclear: f.finished ? 0 : 1,
    notes: [
      `${f.valid} rows valid, ${f.named} named as still invalid; ${f.invalidReplies} invalid replies re-asked; ${f.batchesCreated} batches; ${f.kills} kills in ${f.runs} CLI runs`,
    ],
  });
}

const TASKS: Record<string, () => Promise<void>> = {
  structured,
  'online-crash': onlineCrash,
  'queue-limit': queueLimit,
  crash: () => crashes('openai'),
  faults: () => faults('openai'),
  'crash-anthropic': () => crashes('anthropic'),
  'faults-anthropic': () => faults('anthropic'),
  'crash-gemini': () => crashes('gemini'),
  'faults-gemini': () => faults('gemini'),
  'crash-mistral': () => crashes('mistral'),
  'faults-mistral': () => faults('mistral'),
  'crash-bedrock': () => crashes('bedrock'),
  'faults-bedrock': () => faults('bedrock'),
  'lagging-lists': laggingLists,
  'lock-races': lockRaces,
  'lost-results': lostResults,
  'global-limits': globalLimits,
  'endless-expiry': endlessExpiry,
  'bad-input': badInput,
  concurrency,
  secrets,
};
const PROVIDER_GROUPS = new Set(['anthropic', 'gemini', 'mistral', 'bedrock']);
const HOLES = ['lost-results', 'global-limits', 'endless-expiry', 'queue-limit', 'lagging-lists', 'lock-races'];
const asked = [...(process.env.RELIABILITY_ONLY ?? '').split(','), ...process.argv.slice(2)]
  .map((s) => s.trim())
  .filter(Boolean)
  .flatMap((s) => (s === 'holes' ? HOLES : PROVIDER_GROUPS.has(s) ? [`crash-${s}`, `faults-${s}`] : [s]));
const unknown = asked.filter((s) => !(s in TASKS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario ${unknown.join(', ')}; known: ${Object.keys(TASKS).join(', ')}, holes, ${[...PROVIDER_GROUPS].join(', ')}\n`,
  );
  process.exit(2);
}
const subset = asked.length > 0;
// Longest first, two lanes on two cores: each lane takes the next scenario when it is free.
const queue = Object.keys(TASKS).filter((name) => !subset || asked.includes(name));
await Promise.all(
  [0, 1].map(async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) await TASKS[name]!();
  }),
);

const order = [
  'crash',
  'crash --offline',
  'crash (anthropic)',
  'crash --offline (anthropic)',
  'crash (gemini)',
  'crash --offline (gemini)',
  'crash (mistral)',
  'crash --offline (mistral)',
  'crash (bedrock)',
  'crash --offline (bedrock)',
  'faults',
  'faults (anthropic)',
  'faults (gemini)',
  'faults (mistral)',
  'faults (bedrock)',
  'lost result files',
  'global limits across selections',
  'endless expiry',
  'lagging lists and skewed clocks',
  'lock races',
  'queue limit below a request file',
  'bad input',
  'bad input (property)',
  'concurrency',
  'secrets & exposure',
  'online crash',
  'structured outputs',
];
rows.sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario));
const header = ['scenario', 'trials', 'duplicates', 'rows lost', 'rows wrong', 'errors unclear'];
const cells = rows.map((r) => [
  r.scenario,
  String(r.trials),
  String(r.duplicates),
  String(r.lost),
  String(r.wrong),
  String(r.unclear),
]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (c: string[]) =>
  `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
const table = [
  line(header),
  `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  ...cells.map(line),
].join('\n');
const failed = rows.some((r) => r.duplicates + r.lost + r.wrong + r.unclear > 0);
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
// Only the whole campaign may replace docs/RELIABILITY.md; a subset reports to a temp file.
const docFile = subset
  ? path.join(os.tmpdir(), `pipeline-reliability-${asked.join('+')}.md`)
  : path.join(REPO, 'docs/RELIABILITY.md');
process.stdout.write(
  `${table}\n\n${failed ? `FAILED: a failure column is not zero (details in ${docFile})` : 'all failure columns are zero'} — ${minutes} min\n`,
);

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const doc = `# Reliability figures

Produced by \`${subset ? `RELIABILITY_ONLY=${asked.join(',')} npx tsx test/reliability/run.ts` : 'npm run reliability'}\` (test/reliability/run.ts) on ${new Date().toISOString().slice(0, 10)},
${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${os.platform()} ${os.release()}; ${minutes} minutes.
The ${os.cpus().length} cores were shared with other work (load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end), so every
time shown here (seconds per scenario, runs, waits) is slower and looser than on a quiet machine; the
counts in the table are not affected.

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
  \`/_emulator/batches/{id}/expire\`; emulator options \`faults.expireAfterFraction\` (endless expiry),
  \`faults.requestErrors\` and \`enqueuedTokenLimit\` (queue limit), \`faults.listLagMs\`, \`clockSkewMs\` and
  \`faults.lostReplyRate\`/\`lostReplyRoutes\` (lagging lists), and an injected clock that moves only
  between builds (global limits). Result files are lost with the Files API's own \`DELETE /v1/files/{id}\`.
- Lock races: test/reliability/fixtures/lock-barrier.ts, preloaded with \`node --import\` into each racing
  CLI, holds its first \`link()\` onto the lock until a shared start time (\`PIPELINE_TEST_LOCK_AT\`) and logs
  every such \`link()\` to \`PIPELINE_TEST_LOCK_LOG\`; nothing else of the CLI is changed.
- \`RELIABILITY_ONLY=name[,name…]\` (or the names as arguments to test/reliability/run.ts) runs a subset
  of the scenarios (\`holes\` = lost-results, global-limits, endless-expiry, queue-limit, lagging-lists,
  lock-races) and writes its
  report to a temp file, never to this one.
- The merged output is deterministic (the stand-in model derives replies and usage from the request),
  so \`paraphrase_tokens\` matches too; raw result files legitimately differ (batch ids, timestamps).
`;
await mkdir(path.dirname(docFile), { recursive: true });
await writeFile(docFile, doc);
if (subset)
  process.stdout.write(
    `a subset ran (${asked.join(', ')}): report written to ${docFile}, docs/RELIABILITY.md untouched\n`,
  );
process.exitCode = failed ? 1 : 0;
