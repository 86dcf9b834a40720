/**
 * `pipeline emulator`: serve the emulator until SIGINT/SIGTERM. Parses its own flags; prints
 * through the given streams only.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from './index.ts';
import { INVALID_REPLY_KINDS, type InvalidReplyKind } from './invalid-replies.ts';
import { ONLINE_FLAGS, ONLINE_USAGE, parseOnlineFlags } from './online/cli-flags.ts';
import type { OnlineOptions } from './online/types.ts';
import { FlagError, num, rate } from './cli-values.ts';
import { FLAVOUR_FLAGS, FLAVOUR_USAGE, flavourOptions } from './flavour-flags.ts';
import type { FaultOptions } from './types.ts';

const USAGE = `Usage: pipeline emulator [options]

Serve the built-in Batch API emulator on 127.0.0.1 (nothing leaves this machine): OpenAI Files +
Batches under /v1, Anthropic Message Batches under /v1/messages/batches, an Azure OpenAI resource
(v1 API) under /openai/v1, Gemini Batch Mode under /v1beta, Mistral batch under /mistral/v1, and
AWS (an S3 subset and Bedrock batch inference, told apart by their SigV4 signature: any key, but
signed), on one port; with online chat completions, Responses and embeddings beside them.

Options:
  --port N                      port to listen on (default 0: a free port)
  --state-dir DIR               where files, batches and stats live (default .pipeline/emulator)
  --speed X                     time multiplier (default 1: a 100-request batch takes ~3.5 s)
  --token-limit N               enqueued-token limit per model (default: unlimited)
  --token-factor X              the limit counts X tokens per prompt token (default 1)
  --lost-reply-rate R           share of calls done but never answered (socket closed)
  --seed N                      seed for shuffles and rate-based faults (default 1)
  --api-key KEY                 accept only this bearer key; any other gets the real 401
                                (invalid_api_key). Default: any key is accepted
  --clock-skew-ms MS            skew the emulator's wall clock by MS (negative: write
                                --clock-skew-ms=-10800000); every timestamp shows it
  --extra-model NAME            accept this model in request lines too (repeatable); other
                                unknown models fail validation with model_not_found
${FLAVOUR_USAGE}Faults:
  --fail-rate R                 answer this fraction of API calls with --fail-status
  --fail-status S               500, 502 or 503 (default 500)
  --rate-limit-rate R           answer this fraction of API calls with 429
  --retry-after S               retry-after seconds on injected 429/5xx replies
  --drop-rate R                 close this fraction of connections without a reply
  --cut-download-rate R         cut this fraction of file downloads (result files, S3 objects)
                                part-way through the body: the connection reset or closed early
  --slow-ms MS                  delay every reply by MS milliseconds
  --request-error-rate5xx R     fraction of request lines that fail once with 500 in the error file
  --request-error-rate4xx R     fraction of request lines that fail with 400 (permanently)
  --invalid-reply-rate R        fraction of structured replies answered invalidly once (not JSON, a
                                missing field, truncated, refused; the same body asked again is valid)
  --invalid-reply-kinds K,…     only these kinds: not-json, missing-field, truncated, refusal
  --expire-after-fraction F     batches expire once this fraction of their requests is done
  --list-lag-ms MS              GET /v1/batches leaves out batches younger than MS
  -h, --help                    show this help

${ONLINE_USAGE}
Point the SDKs at it with:
  export OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=emulator
  export ANTHROPIC_BASE_URL=http://127.0.0.1:PORT ANTHROPIC_API_KEY=emulator
  export AZURE_OPENAI_ENDPOINT=http://127.0.0.1:PORT AZURE_OPENAI_API_KEY=emulator
  export GEMINI_BASE_URL=http://127.0.0.1:PORT GEMINI_API_KEY=emulator
  export MISTRAL_BASE_URL=http://127.0.0.1:PORT/mistral MISTRAL_API_KEY=emulator
  (Azure: the openai SDK with baseURL $AZURE_OPENAI_ENDPOINT/openai/v1/ and header api-key;
   Gemini: @google/genai with httpOptions.baseUrl $GEMINI_BASE_URL, key in x-goog-api-key;
   Mistral: @mistralai/mistralai with serverURL $MISTRAL_BASE_URL)
  export AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=emulator AWS_SECRET_ACCESS_KEY=emulator
  (S3 path-style: forcePathStyle: true; buckets must be created first)
Test controls: GET /_emulator/stats, POST /_emulator/clock {"advanceMs":N},
  POST /_emulator/faults {...}, POST /_emulator/batches/ID/expire (any flavour's batch id)
`;

const OPTIONS = {
  port: { type: 'string' },
  'state-dir': { type: 'string' },
  speed: { type: 'string' },
  'token-limit': { type: 'string' },
  'token-factor': { type: 'string' },
  'lost-reply-rate': { type: 'string' },
  seed: { type: 'string' },
  'fail-rate': { type: 'string' },
  'fail-status': { type: 'string' },
  'rate-limit-rate': { type: 'string' },
  'retry-after': { type: 'string' },
  'drop-rate': { type: 'string' },
  'cut-download-rate': { type: 'string' },
  'slow-ms': { type: 'string' },
  'request-error-rate5xx': { type: 'string' },
  'request-error-rate4xx': { type: 'string' },
  'invalid-reply-rate': { type: 'string' },
  'invalid-reply-kinds': { type: 'string' },
  'expire-after-fraction': { type: 'string' },
  'list-lag-ms': { type: 'string' },
  'api-key': { type: 'string' },
  'clock-skew-ms': { type: 'string' },
  'extra-model': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  ...FLAVOUR_FLAGS,
  ...ONLINE_FLAGS,
} as const;

/** `--invalid-reply-kinds not-json,refusal`: a comma list of the invalid-replies fault's kinds. */
function invalidKinds(raw: unknown): InvalidReplyKind[] | undefined {
  if (typeof raw !== 'string') return undefined;
  const kinds = raw.split(',').map((k) => k.trim());
  const wrong = kinds.filter((k) => !(INVALID_REPLY_KINDS as readonly string[]).includes(k));
  if (wrong.length > 0)
    throw new FlagError(`--invalid-reply-kinds: unknown ${wrong.join(', ')} (use ${INVALID_REPLY_KINDS.join(', ')})`);
  return kinds as InvalidReplyKind[];
}

export async function runEmulatorCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (e) {
    io.stderr.write(
      `pipeline emulator: ${e instanceof Error ? e.message : String(e)}\nRun 'pipeline emulator --help' for usage.\n`,
    );
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  let tokenFactor: number | undefined;
  let port: number | undefined,
    speed: number | undefined,
    tokenLimit: number | undefined,
    seed: number | undefined,
    clockSkewMs: number | undefined,
    apiKey: string | undefined;
  const faults: FaultOptions = {};
  let online: OnlineOptions = {};
  let flavours: ReturnType<typeof flavourOptions>;
  try {
    flavours = flavourOptions(values);
    port = num(values, 'port', (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a port number (0-65535)');
    speed = num(values, 'speed', (n) => n > 0, 'a positive number');
    tokenLimit = num(values, 'token-limit', (n) => Number.isInteger(n) && n > 0, 'a positive integer');
    tokenFactor = num(values, 'token-factor', (n) => n > 0 && n <= 10, 'a number between 0 and 10');
    seed = num(values, 'seed', Number.isInteger, 'an integer');
    clockSkewMs = num(values, 'clock-skew-ms', Number.isInteger, 'an integer number of milliseconds');
    apiKey = typeof values['api-key'] === 'string' ? values['api-key'] : undefined;
    if (apiKey !== undefined && apiKey.trim() === '') throw new FlagError('--api-key must not be empty');
    const failRate = num(values, 'fail-rate', rate, 'a rate between 0 and 1');
    const failStatus = num(values, 'fail-status', (n) => [500, 502, 503].includes(n), '500, 502 or 503') ?? 500;
    const limitRate = num(values, 'rate-limit-rate', rate, 'a rate between 0 and 1');
    const retryAfter = num(values, 'retry-after', (n) => n >= 0, 'a number of seconds');
    const retry = retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter };
    faults.http = [];
    if (limitRate) faults.http.push({ status: 429, rate: limitRate, ...retry });
    if (failRate) faults.http.push({ status: failStatus as 500 | 502 | 503, rate: failRate, ...retry });
    const drop = num(values, 'drop-rate', rate, 'a rate between 0 and 1');
    if (drop !== undefined) faults.dropRate = drop;
    const cutRate = num(values, 'cut-download-rate', rate, 'a rate between 0 and 1');
    if (cutRate !== undefined) faults.cutDownloads = { rate: cutRate };
    const lost = num(values, 'lost-reply-rate', rate, 'a rate between 0 and 1');
    if (lost !== undefined) faults.lostReplyRate = lost;
    const slow = num(values, 'slow-ms', (n) => n >= 0, 'a number of milliseconds');
    if (slow !== undefined) faults.slowMs = slow;
    const r5 = num(values, 'request-error-rate5xx', rate, 'a rate between 0 and 1');
    const r4 = num(values, 'request-error-rate4xx', rate, 'a rate between 0 and 1');
    if (r5 !== undefined || r4 !== undefined)
      faults.requestErrors = {
        ...(r5 === undefined ? {} : { rate5xx: r5 }),
        ...(r4 === undefined ? {} : { rate4xx: r4 }),
      };
    const invalidRate = num(values, 'invalid-reply-rate', rate, 'a rate between 0 and 1');
    const kinds = invalidKinds(values['invalid-reply-kinds']);
    if (invalidRate !== undefined) faults.invalidReplies = { rate: invalidRate, ...(kinds ? { kinds } : {}) };
    const fraction = num(values, 'expire-after-fraction', rate, 'a fraction between 0 and 1');
    if (fraction !== undefined) faults.expireAfterFraction = fraction;
    const lag = num(values, 'list-lag-ms', (n) => n >= 0, 'a number of milliseconds');
    if (lag !== undefined) faults.listLagMs = lag;
    const onlineFlags = parseOnlineFlags(values);
    if (!onlineFlags.ok) throw new FlagError(onlineFlags.error);
    online = onlineFlags.value.options;
    faults.online = onlineFlags.value.faults;
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    io.stderr.write(`pipeline emulator: ${e.message}\n`);
    return 2;
  }
  const stateDir = path.resolve(
    typeof values['state-dir'] === 'string' ? values['state-dir'] : path.join('.pipeline', 'emulator'),
  );
  const extraModels = Array.isArray(values['extra-model'])
    ? values['extra-model'].filter((m): m is string => typeof m === 'string')
    : [];
  const emulator = await startEmulator({
    stateDir,
    faults,
    extraModels,
    online,
    ...(port === undefined ? {} : { port }),
    ...(speed === undefined ? {} : { speed }),
    ...(tokenLimit === undefined ? {} : { enqueuedTokenLimit: tokenLimit }),
    ...(tokenFactor === undefined ? {} : { enqueuedTokenFactor: tokenFactor }),
    ...(seed === undefined ? {} : { seed }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(clockSkewMs === undefined ? {} : { clockSkewMs }),
    ...flavours,
  });
  const origin = `http://127.0.0.1:${emulator.port}`;
  const key = apiKey ?? 'emulator';
  // One write (under PIPE_BUF, so atomic on a pipe): a script that reads the URL gets the export line with it.
  io.stdout.write(
    `Batch API emulator listening on ${emulator.url}\n` +
      `  export OPENAI_BASE_URL=${emulator.url} OPENAI_API_KEY=${key}\n` +
      `  export ANTHROPIC_BASE_URL=${origin} ANTHROPIC_API_KEY=${key}\n` +
      `  export AZURE_OPENAI_ENDPOINT=${origin} AZURE_OPENAI_API_KEY=${key}\n` +
      `  export GEMINI_BASE_URL=${emulator.geminiUrl} GEMINI_API_KEY=${key}\n` +
      `  export MISTRAL_BASE_URL=${emulator.mistralUrl} MISTRAL_API_KEY=${key}\n` +
      `  (Azure: baseURL ${emulator.azureUrl}/ with header api-key; Gemini: @google/genai httpOptions.baseUrl;\n` +
      `   Mistral: @mistralai/mistralai serverURL)\n` +
      `  export AWS_ENDPOINT_URL=${emulator.awsUrl} AWS_ACCESS_KEY_ID=${key} AWS_SECRET_ACCESS_KEY=${key}\n` +
      `  (AWS: S3 path-style, forcePathStyle: true; any SigV4 signature is accepted, but one is required)\n` +
      `  state in ${stateDir}; stop with Ctrl-C\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
  io.stdout.write('Batch API emulator stopped.\n');
  return 0;
}
