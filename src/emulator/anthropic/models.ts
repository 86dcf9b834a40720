/**
 * The Claude models the stand-in answers as, with the most output tokens each allows (a larger
 * `max_tokens` is an `invalid_request_error`, as on the real API). Aliases and dated snapshots
 * (`claude-sonnet-4-5-20250929`) are both known; any Claude model in the price table is known too,
 * and `extra` adds more. Any other model gives a `not_found_error` result.
 */
import { modelTable, type ModelTable } from '../model-table.ts';

const MAX_OUTPUT: Readonly<Record<string, number>> = {
  'claude-opus-4-7': 128_000,
  'claude-opus-4-6': 128_000,
  'claude-opus-4-5': 64_000,
  'claude-opus-4-1': 32_000,
  'claude-opus-4-0': 32_000,
  'claude-opus-4': 32_000,
  'claude-sonnet-4-6': 64_000,
  'claude-sonnet-4-5': 64_000,
  'claude-sonnet-4-0': 64_000,
  'claude-sonnet-4': 64_000,
  'claude-haiku-4-5': 64_000,
  'claude-3-7-sonnet': 64_000,
  'claude-3-5-haiku': 8_192,
  'claude-3-haiku': 4_096,
};

const DEFAULT_MAX_OUTPUT = 64_000;

/** `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`; `claude-3-5-haiku-latest` → `claude-3-5-haiku`. */
const baseName = (model: string): string => model.replace(/-(\d{8}|latest)$/, '');

export type ClaudeModels = ModelTable;

export const claudeModels = (extra: readonly string[] = []): ClaudeModels =>
  modelTable(MAX_OUTPUT, DEFAULT_MAX_OUTPUT, (m) => m.startsWith('claude'), extra, baseName);
