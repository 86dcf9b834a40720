/**
 * The provider seam: everything the tool knows about one batch provider, behind one versioned
 * interface (as the Vercel AI SDK's provider specification versions its models). A provider is
 * one file in this folder that exports a `ProviderSpec` and one line in registry.ts; no stage,
 * command, report or view names a provider. What a spec holds:
 *
 * - `traits`: limits, completion windows, how lost creates are found, what it supports (data);
 * - `env`: the variables that say where calls go and with which key, read by `endpoint()`;
 * - `wire`: how a request line is written and read, and how a result line is read into the one
 *   normalised outcome (outcome.ts). Several providers may share one wire format;
 * - `batch()`: its batch transport (upload or inline, create with the crash-safe intent, list,
 *   retrieve, cancel, results), loading its SDK only when first called;
 * - `online()`: its online transport, where the tool has one.
 *
 * A spec must not import an SDK at module level: specs are loaded to validate configs and read
 * result lines, which a no-op build must do without paying for an SDK's start-up.
 */
import type { ZodType } from 'zod';
import type { ChatMessageLike } from '../tokens/count.ts';
import type { Result } from '../util/result.ts';
import type { BatchApi } from './batch-api.ts';
import type { ResultLine } from './outcome.ts';
import type { OnlineApi } from './online-api.ts';

/** Bumped when the shape of `ProviderSpec` changes in a way a provider file must follow. */
export const SPECIFICATION_VERSION = 'v1';

export interface ProviderSpec {
  readonly specificationVersion: typeof SPECIFICATION_VERSION;
  readonly name: string;
  /** For people: "Anthropic Message Batches". */
  readonly title: string;
  readonly traits: ProviderTraits;
  readonly env: ProviderEnv;
  readonly wire: WireFormat;
  /** The provider whose models (and price table entries) this one runs too: Azure runs OpenAI's as deployments. */
  readonly servesModelsOf?: string | undefined;
  /** Where calls go and with which key, from the environment and the rule; a missing setting is named. */
  endpoint(use: EndpointUse, env: NodeJS.ProcessEnv): Result<ProviderEndpoint, MissingSetting>;
  /** The built-in emulator's routes for this provider, given the emulator's origin (`http://127.0.0.1:PORT`). */
  offline(origin: string): ProviderEndpoint;
  /** The batch transport; loads the SDK on first use. */
  batch(endpoint: ProviderEndpoint): Promise<BatchApi>;
  /** The online (one request at a time) transport, for providers the online runner can drive. */
  online?: ((endpoint: ProviderEndpoint) => Promise<OnlineApi>) | undefined;
  /** Checks of a `requests` rule written for this provider (e.g. a required `max_tokens`). */
  checkRequests?: ((rule: RequestsRuleView) => RuleIssue[]) | undefined;
  /** Checks of a `batch` rule (beyond the traits' limits and windows, which are checked for every provider). */
  checkBatch?: ((rule: BatchRuleView) => RuleIssue[]) | undefined;
  /** Options a `batch` rule takes for this provider only (Bedrock's `s3Uri`, `roleArn`), as zod schemas. */
  ruleOptions?: Readonly<Record<string, ZodType>> | undefined;
  /**
   * Options for the built-in emulator under `--offline`, from this provider's rules: what the
   * account the rules describe has (Bedrock's minimum records per job when a rule says its quota
   * was lowered). Keys are the emulator's options.
   */
  emulatorOptions?: ((rules: readonly BatchRuleView[]) => Record<string, unknown>) | undefined;
  /** A setting a batch rule needs from the environment or itself that neither gives (Bedrock's role), checked before connecting. */
  missingSetting?: ((rule: BatchRuleView, endpoint: ProviderEndpoint) => MissingSetting | undefined) | undefined;
}

export interface ProviderTraits {
  /** Per batch: the provider's request and byte caps, and its minimum (Bedrock refuses smaller jobs). */
  maxRequestsPerBatch: number;
  maxBytesPerBatch: number;
  minRequestsPerBatch?: number | undefined;
  /** Batches in flight at once per model that the provider allows (Bedrock 20 jobs, Gemini 100): the default of `maxInFlightBatches`. */
  maxConcurrentBatches?: number | undefined;
  /**
   * Parts of at most this many bytes go inline in the create call; bigger ones are uploaded as a
   * file first. 0: always a file (OpenAI); Infinity: always inline (Anthropic).
   */
  inlineUpToBytes: number;
  /** Whether a part small enough to go inline can (Gemini's SDK carries only some request fields unchanged); default yes. */
  inlineable?: ((data: Buffer) => boolean) | undefined;
  /**
   * How a create whose answer was lost is found again:
   * - `metadata`: the batch carries our intent id (in metadata, or in a name the provider keeps);
   * - `size-and-time`: nothing of ours is kept: candidates by request count and creation time,
   *   proven by their results' custom ids (adoption.ts, proof.ts);
   * - `idempotent`: the create takes an idempotency token, so creating again returns the same batch.
   */
  findsLostCreates: 'metadata' | 'size-and-time' | 'idempotent';
  /** Request counts stay 0 until the batch ends (progress is shown as "n requests in progress", not a false 0%). */
  countsOnlyAtEnd: boolean;
  /** The completion windows a rule may ask for, in hours, and the default. */
  completionWindow: { defaultHours: number; minHours: number; maxHours: number };
  /** The endpoints request lines may name (the first is the default). */
  endpoints: readonly string[];
  /** A custom id the provider refuses, with why; undefined when every non-empty id is fine. */
  customId?: { pattern: RegExp; rule: string } | undefined;
  /** A rule may set `baseURL` (compatible servers); else the environment says where calls go. */
  ruleBaseURL: boolean;
  /** The tokenizer is public (OpenAI's): token estimates are exact, not corrected by what was billed. */
  publicTokenizer: boolean;
}

export interface ProviderEnv {
  /** The variable holding the key, when the provider takes one (Bedrock uses the AWS credential chain). */
  key?: string | undefined;
  /** The variable that points calls at another server (a proxy, the emulator). */
  baseURL?: string | undefined;
  /** Other variables it reads, for docs and `--help`. */
  others?: readonly string[] | undefined;
  /** One line for people: what to set to use it. */
  hint: string;
}

/** What a rule says about where its calls go (the first rule naming a provider wins for the build). */
export interface EndpointUse {
  baseURL?: string | undefined;
  apiKeyEnv?: string | undefined;
}

/** Where one provider's calls go. Never written to a file, marker or log (it may hold a key). */
export interface ProviderEndpoint {
  provider: string;
  /** Empty where the provider takes no key (Bedrock's credentials come from the SDK's chain). */
  apiKey: string;
  /** Undefined: the SDK's default. */
  baseURL?: string | undefined;
  /** Per-attempt timeout of API calls; undefined: the transport's default (60 s). */
  timeoutMs?: number | undefined;
  /** SDK retries of idempotent calls; undefined: the transport's default (2). Tests set 0. */
  maxRetries?: number | undefined;
  /** Provider-specific settings read from the environment (a region, a second endpoint). */
  settings?: Readonly<Record<string, string>> | undefined;
}

/** A setting the environment lacks, for the usage error that names it and what to do. */
export interface MissingSetting {
  variable: string;
  /** What to export: `"your-api-key"`, `"https://RESOURCE.openai.azure.com"`. */
  example: string;
  /** Why it is needed: "to use Anthropic's Message Batches API". */
  purpose: string;
}

export interface RuleIssue {
  path: (string | number)[];
  message: string;
}

export interface RequestsRuleView {
  model: string;
  params: Readonly<Record<string, unknown>>;
  endpoint: string;
  /** A reply schema is asked for. */
  schema: boolean;
}

export interface BatchRuleView {
  completionWindow: string;
  baseURL?: string | undefined;
  [setting: string]: unknown;
}

/** What a request line is written from: the rule's settings and one record's filled prompt. */
export interface LineSettings {
  model: string;
  endpoint: string;
  params: Record<string, unknown>;
  /** The reply's JSON Schema and its name, when the rule asks for structured output. */
  reply?: { name: string; schema: Record<string, unknown> } | undefined;
}

/** A request line read back: what planning, token counts and the cache need of it. */
export interface ReadRequest {
  /** The request as the model sees it (chat body, Anthropic params, Gemini request, Bedrock modelInput). */
  body: Record<string, unknown>;
  model: string;
  /** Where it is sent (a batch holds one endpoint). */
  endpoint: string;
}

/**
 * A provider's line formats. Request and result lines are JSON objects whose id sits in one
 * top-level field (`custom_id`, Gemini's `key`, Bedrock's `recordId`).
 */
export interface WireFormat {
  /** Names the format in messages ("OpenAI's", "Anthropic's"). */
  readonly name: string;
  /** The top-level field of request and result lines that holds the request's id. */
  readonly idField: string;
  writeRequest(
    settings: LineSettings,
    customId: string,
    system: string | undefined,
    user: string,
  ): Record<string, unknown>;
  /** The request a line holds, or undefined when the line is not in this format. */
  readRequest(line: Record<string, unknown>): ReadRequest | undefined;
  /** Why a line of this format lacks its request (for a line `readRequest` refused), e.g. `missing "body"`. */
  requestProblem(line: Record<string, unknown>): string;
  /** The line with another body (a re-ask's). */
  withBody(line: Record<string, unknown>, body: Record<string, unknown>): Record<string, unknown>;
  /**
   * The request cache's key of a line. Stable forever for a given request: a change re-sends
   * every answered request of this format (and pays again).
   */
  hash(line: Record<string, unknown>): string;
  /** The prompt as chat messages, for token counts. */
  prompt(body: Record<string, unknown>): ChatMessageLike[];
  /** The ceiling the request sets on its reply's tokens, if any. */
  maxOutputTokens(body: Record<string, unknown>): number | undefined;
  /** The body with `text` appended to its last user message (a re-ask's repair prompt). */
  appendToPrompt(body: Record<string, unknown>, text: string): Record<string, unknown>;
  /** The outcome a result line of this format says, or undefined when the line is not one of this format. */
  readResult(line: Record<string, unknown>): ResultLine | undefined;
}
