/**
 * `pipeline view`: a local web page of the job — progress, money, the graph and the answers
 * beside their sources — served on 127.0.0.1 until Ctrl-C. Read-only: it never takes the build
 * lock, so it runs beside a build (see src/view/progress-source.ts for where progress comes from).
 */
import { stringOption, flag, numberOption, type Command } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';
import { connect, missingSetting } from '../connect.ts';
import { reportUsageError } from '../errors.ts';
import { UsageError } from '../project.ts';
import { makeServices } from '../services.ts';
import { projectAndTargets } from '../targets.ts';
import type { Connector } from '../../view/progress-source.ts';

export const viewCommand: Command = {
  name: 'view',
  summary: COMMAND_SUMMARIES.view,
  usage: 'view [targets...] [--port N] [--open] [--offline]',
  options: {
    port: { type: 'string', value: 'N', description: 'port on 127.0.0.1 (default 0: any free port)' },
    open: { type: 'boolean', description: 'open the page in the default browser (xdg-open), if there is one' },
    offline: {
      type: 'boolean',
      description: 'refresh in-flight batches from the built-in emulator when no build runs',
    },
    interval: {
      type: 'string',
      value: 'SECONDS',
      description: 'how often to refresh through the Batch API when no build runs (default 10)',
    },
  },
  notes: [
    'Read-only: never takes the build lock and changes no file; safe to keep open while builds run.',
    'While a build runs, progress is what the build records; otherwise in-flight batches are refreshed',
    'through the Batch API (OPENAI_API_KEY, or --offline) every --interval seconds. Ctrl-C stops serving.',
  ].join('\n'),
  async run(args, io) {
    const port = numberOption(args, 'port');
    if (!port.ok) return reportUsageError(io.stderr, new UsageError(port.message));
    if (port.value !== undefined && (!Number.isInteger(port.value) || port.value > 65535))
      return reportUsageError(
        io.stderr,
        new UsageError(`--port takes a port number (0-65535), got '${stringOption(args, 'port')}'`),
      );
    const interval = numberOption(args, 'interval');
    if (!interval.ok) return reportUsageError(io.stderr, new UsageError(interval.message));
    const selected = await projectAndTargets(args, io);
    if (typeof selected === 'number') return selected;
    const { project, requested } = selected;

    const offline = flag(args, 'offline');
    const missing = offline ? undefined : missingSetting(project, io.env);
    const connector: Connector | undefined =
      missing === undefined
        ? {
            kind: offline ? 'emulator' : 'api',
            async open() {
              const connection = await connect(project, offline, io.env);
              if (!connection.ok) return { ok: false, error: connection.error.message };
              return {
                ok: true,
                value: { services: makeServices(connection.value, {}), close: () => connection.value.close() },
              };
            },
          }
        : undefined;

    const { startView } = await import('../../view/start-view.ts');
    const view = await startView({
      project,
      requested,
      port: port.value ?? 0,
      ...(connector ? { connector } : {}),
      ...(missing ? { missingSetting: missing } : {}),
      apiIntervalMs: (interval.value ?? 10) * 1000,
      filesIntervalMs: 1000,
      idleIntervalMs: 3000,
      signal: io.signal,
      onError: (error) => io.stderr.write(`view: refresh failed: ${error.message}\n`),
    });
    if (!view.ok) {
      const hint =
        view.error.kind === 'port-in-use' ? ['choose another with --port N, or --port 0 for any free port'] : [];
      return reportUsageError(io.stderr, new UsageError(view.error.message, hint));
    }
    io.stdout.write(`pipeline view: serving ${view.value.url} (read-only; Ctrl-C to stop)\n`);
    if (flag(args, 'open')) {
      const { openInBrowser } = await import('../../view/open-browser.ts');
      if (!openInBrowser(view.value.url, io.env))
        io.stdout.write('(no system opener such as xdg-open found: open the address above in a browser)\n');
    }
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await view.value.close();
    return 0;
  },
};
