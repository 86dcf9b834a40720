/**
 * The Gemini models the stand-in answers as (providers.md C.7 lists the batch quotas of the 2.5
 * family and 3 Pro Preview), with the most output tokens each allows; any model in the price table
 * whose name starts with `gemini` is known too, and `extra` adds more. Batch create for any other
 * model is a 404, as Google answers.
 */
import { modelTable, type ModelTable } from '../model-table.ts';

const MAX_OUTPUT: Readonly<Record<string, number>> = {
  'gemini-2.5-pro': 65_536,
  'gemini-2.5-flash': 65_536,
  'gemini-2.5-flash-lite': 65_536,
  'gemini-3-pro-preview': 65_536,
  'gemini-3-flash-preview': 65_536,
  'gemini-2.0-flash': 8_192,
  'gemini-2.0-flash-lite': 8_192,
  'gemini-flash-latest': 65_536,
  'gemini-flash-lite-latest': 65_536,
  'gemini-pro-latest': 65_536,
};

const DEFAULT_MAX_OUTPUT = 65_536;

export type GeminiModels = ModelTable;

/** `models/gemini-2.5-flash` → `gemini-2.5-flash` (the SDK sends the prefixed name). */
export const bareModel = (model: string): string => model.replace(/^models\//, '');

export const geminiModels = (extra: readonly string[] = []): GeminiModels =>
  modelTable(MAX_OUTPUT, DEFAULT_MAX_OUTPUT, (m) => m.startsWith('gemini'), extra, bareModel);
