/**
 * shell: a rule whose action is a command, run through zx. `{input}` (first input), `{inputs}`
 * (all), `{output}` and the rule's wildcards are substituted, shell-quoted. The command writes
 * `{output}`, which is a temp path the engine moves into place only if the command succeeds.
 */
import { z } from 'zod';
import type { StageDefinition, StageOutcome } from './types.ts';

export const shellConfigSchema = z.strictObject({
  kind: z.literal('shell'),
  command: z
    .string()
    .min(1)
    .describe(
      'A bash command run in the root; `{input}` (the first input), `{inputs}`, `{output}` and the wildcards are substituted, shell-quoted. It writes `{output}`, which is moved into place only if it exits 0.',
    ),
});

export type ShellConfig = z.output<typeof shellConfigSchema>;

export const shellStage: StageDefinition<ShellConfig> = {
  kind: 'shell',
  version: 1,
  remote: false,
  pure: false,
  validation: () => ({ schema: shellConfigSchema }),
  async run(ctx, config): Promise<StageOutcome> {
    // zx is loaded only when a shell rule runs: it is slow to import and most builds need none.
    const { $, quote } = await import('zx');
    const values: Record<string, string> = {
      ...Object.fromEntries(Object.entries(ctx.bindings).map(([k, v]) => [k, quote(v)])),
      input: quote(ctx.inputs[0]!),
      inputs: ctx.inputs.map((i) => quote(i)).join(' '),
      output: quote(ctx.tempOutput),
    };
    const script = config.command.replace(
      /\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
      (whole, name: string) => values[name] ?? whole,
    );
    const result = await $({ cwd: ctx.root, nothrow: true, quiet: true, signal: ctx.signal })`bash -c ${script}`;
    if (result.exitCode !== 0) {
      const stderr = result.stderr.trim().split('\n').slice(-10);
      return {
        kind: 'failed',
        failure: {
          reason: 'command-failed',
          message: `command exited with ${result.exitCode ?? result.signal}: ${config.command}`,
          details: stderr,
        },
      };
    }
    return { kind: 'done', summary: 'command succeeded' };
  },
};
