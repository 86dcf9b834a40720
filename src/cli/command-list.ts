/**
 * The commands by name, each with its one-line summary and a loader. `pipeline --help` and
 * `--version` need only this list; a command's module (and what it imports) is loaded only when
 * that command runs, so start-up does not pay for every command.
 */
import type { Command } from './command.ts';

export const COMMAND_SUMMARIES = {
  init: 'write a pipeline.config.ts for your dataset (JSONL, JSON array or CSV)',
  build: 'Advance targets: run local stages, submit batches, poll once, download, merge; then exit.',
  status: 'Show each target: state, progress, tokens, cost, age of in-flight batches and why it is stale.',
  cancel: 'Cancel in-flight batches of the selected targets (all by default).',
  clean: 'Remove derived files (outputs, records) of the selected targets; sources are never touched.',
  graph: 'Print the target graph (sources, targets and the rules between them) as DOT or Mermaid.',
  watch: 'Rebuild when sources or the config change; poll pending batches on an interval.',
  prices: 'Print the price table: standard and batch rates at every tier, with each model’s source page and date.',
  view: 'Serve a local web page of the job: progress, money, the graph and each answer beside its source.',
  emulator:
    'Serve the built-in emulator (OpenAI, Anthropic and Azure batch APIs, online endpoints) on a loopback port.',
} as const;

export type CommandName = keyof typeof COMMAND_SUMMARIES;

/** In the order `--help` lists them. */
export const COMMAND_LOADERS: Readonly<Record<CommandName, () => Promise<Command>>> = {
  init: async () => (await import('./commands/init.ts')).initCommand,
  build: async () => (await import('./commands/build.ts')).buildCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  cancel: async () => (await import('./commands/cancel.ts')).cancelCommand,
  clean: async () => (await import('./commands/clean.ts')).cleanCommand,
  graph: async () => (await import('./commands/graph.ts')).graphCommand,
  watch: async () => (await import('./commands/watch.ts')).watchCommand,
  prices: async () => (await import('./commands/prices.ts')).pricesCommand,
  view: async () => (await import('./commands/view.ts')).viewCommand,
  emulator: async () => (await import('./commands/emulator.ts')).emulatorCommand,
};
