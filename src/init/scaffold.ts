/**
 * `pipeline init`: from the dataset the user names to a written `pipeline.config.ts` and a
 * `.gitignore` entry, with everything it found and chose in the answer so the command can say it.
 * Nothing is written when anything is in doubt (no id field, an existing config without force).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourceFormat } from '../sources/format.ts';
import { err, ok, type Result } from '../util/result.ts';
import { chooseIdField, chooseTextField, describeField, summariseFields } from './fields.ts';
import { ignoreStateDir } from './gitignore.ts';
import { renderConfig } from './render-config.ts';
import { sampleSource } from './sample.ts';
import { resolveSourcePattern, WILDCARD } from './source-pattern.ts';

export interface ScaffoldRequest {
  /** Globs or files as given, or the one `--from` file. */
  sources: readonly string[];
  idField?: string;
  force: boolean;
  cwd: string;
  configFile: string;
  /** The package name the written config imports from. */
  importFrom: string;
}

export interface ScaffoldReport {
  configFile: string;
  sourcePattern: string;
  files: string[];
  /** The file the fields were read from, and what was found in it. */
  sampled: string;
  format: SourceFormat;
  records: number;
  fields: { name: string; description: string }[];
  problems: string[];
  idField: string;
  otherIdFields: string[];
  textField: string;
  outputField: string;
  gitignoreUpdated: boolean;
}

const STATE_DIR = '.pipeline';
const MODEL = 'gpt-4.1-mini';

export async function scaffold(request: ScaffoldRequest): Promise<Result<ScaffoldReport, string>> {
  const configPath = path.resolve(request.cwd, request.configFile);
  if (existsSync(configPath) && !request.force) {
    return err(`${request.configFile} already exists; add --force to replace it`);
  }
  // The rules' paths are relative to the config's directory; the user's are relative to where they are.
  const configDir = path.dirname(configPath);
  const resolved = await resolveSourcePattern(
    request.sources.map((s) => path.resolve(request.cwd, s)),
    configDir,
  );
  if (!resolved.ok) return resolved;
  const { files, wildcard } = resolved.value;
  const sampled = files[0]!;
  const sample = await sampleSource(path.join(configDir, sampled));
  if (!sample.ok) return err(`${sampled}: ${sample.error}`);
  const { records, format, problems } = sample.value;

  const fields = summariseFields(records);
  const id = chooseIdField(fields, records.length, request.idField);
  if (!id.ok) return err(`${sampled}: ${id.error}`);
  const textField = chooseTextField(fields, id.value.field);
  if (!textField)
    return err(`${sampled}: no text field to put in the prompt (fields: ${fields.map((f) => f.name).join(', ')})`);

  const names = new Set(fields.map((f) => f.name));
  const free = (candidates: string[]) => candidates.find((n) => !names.has(n)) ?? `${candidates[0]}_${names.size}`;
  // A record's own field wins over a wildcard of the same name in templates, so the wildcard must not be one.
  const wildcardName = wildcard ? free(['file', 'dataset', 'part', 'source_file']) : undefined;
  const outputField = free(['reply', 'model_reply', 'llm_reply']);
  const sourcePattern = resolved.value.pattern.replace(WILDCARD, `{${wildcardName}}`);

  const text = renderConfig({
    sourcePattern,
    wildcard: wildcardName,
    format,
    idField: id.value.field,
    textField,
    outputField,
    tokensField: free([`${outputField}_tokens`, `${outputField}_usage`]),
    importFrom: request.importFrom,
    model: MODEL,
  });
  await writeFile(configPath, text);
  const gitignoreUpdated = await ignoreStateDir(configDir, STATE_DIR);
  return ok({
    configFile: path.relative(request.cwd, configPath),
    sourcePattern,
    files,
    sampled,
    format,
    records: records.length,
    fields: fields.map((f) => ({ name: f.name, description: describeField(f, records.length) })),
    problems,
    idField: id.value.field,
    otherIdFields: id.value.alternatives,
    textField,
    outputField,
    gitignoreUpdated,
  });
}
