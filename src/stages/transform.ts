/**
 * transform: a step written in TypeScript, in the config itself. Two forms:
 *
 * - per record, `transform({ run: (record, at) => … })`: each JSON record of the first input maps
 *   to zero or more output records (return one, an array, or null/undefined; sync or async);
 * - whole file, `transform({ runFile: (files) => … })`: for steps that need every record (dedupe,
 *   a train/test split, a summary). It reads any input, and returns records (an array or an async
 *   iterable, written as JSONL) or, when the output ends in `.json`, one JSON value.
 *
 * The fingerprint sees the function's source text and the declared `version` (see `identity`), so
 * editing the function rebuilds this rule's targets and nothing else; `version` is for changes the
 * text does not show (a helper it calls, a file it reads).
 */
import { z } from 'zod';
import { runPerRecord, runWholeFile, type RecordFn, type WholeFileFn } from './transform-run.ts';
import type { StageDefinition, StageOutcome } from './types.ts';

// `tsType` tells the generated option types (scripts/config-reference.ts) what JSON Schema cannot say.
const fn = <F>(what: string, tsType: string) =>
  z
    .custom<F>((v) => typeof v === 'function', { message: `${what} must be a function` })
    .meta({ tsType })
    .optional();

export const transformConfigSchema = z
  .strictObject({
    kind: z.literal('transform'),
    run: fn<RecordFn>('run', 'RecordFn').describe(
      'Per record: `(record, at) => …` maps each record of the first input to zero or more records (one, an array, or null), sync or async. `at` has the file, line and wildcards.',
    ),
    runFile: fn<WholeFileFn>('runFile', 'WholeFileFn').describe(
      'Whole file: `(files) => …` sees every input (`files.records(i)` streams one) and returns records (an array or async iterable, written as JSONL), or one JSON value when the output ends in `.json`. Give exactly one of `run` and `runFile`.',
    ),
    version: z
      .union([z.number(), z.string()])
      .default(1)
      .describe(
        "Bump it when the output would change though the function's text did not (a helper it calls, a file it reads): the fingerprint sees the text and this.",
      ),
  })
  .superRefine((config, ctx) => {
    if ((config.run === undefined) === (config.runFile === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['run'],
        message: 'give exactly one of run (per record) or runFile (whole file)',
      });
  });

export type TransformConfig = z.output<typeof transformConfigSchema>;

export const transformStage: StageDefinition<TransformConfig> = {
  kind: 'transform',
  version: 1,
  remote: false,
  pure: true,
  validation: () => ({
    schema: transformConfigSchema,
    identity: (config) => ({
      version: config.version,
      run: config.run?.toString(),
      runFile: config.runFile?.toString(),
    }),
  }),
  run(ctx, config): Promise<StageOutcome> {
    if (config.run) return runPerRecord(ctx, config.run);
    return runWholeFile(ctx, config.runFile!);
  },
};
