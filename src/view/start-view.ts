/**
 * `pipeline view`, put together: the refresh loop (progress source → statuses → snapshot), the
 * rows service and the HTTP server. Returns once the server listens and the first snapshot is
 * taken; `close()` stops everything.
 */
import path from 'node:path';
import type { Result } from '../util/result.ts';
import { LiveFeed } from './live-feed.ts';
import { loadPageAssets } from './page-assets.ts';
import { PipelineFiles } from './pipeline-files.ts';
import { openProgressSource, type Connector } from './progress-source.ts';
import { RowsService } from './rows.ts';
import { startViewServer, type ListenError } from './server.ts';
import { SnapshotBuilder, type ViewProject } from './snapshot-builder.ts';

export interface ViewOptions {
  project: ViewProject;
  requested: readonly string[];
  port: number;
  connector?: Connector;
  /** Without a connector: the setting that is missing to reach the API, for the page's note. */
  missingSetting?: string;
  apiIntervalMs: number;
  filesIntervalMs: number;
  idleIntervalMs?: number;
  signal: AbortSignal;
  /** A refresh that failed (the page keeps the last good snapshot). */
  onError: (error: Error) => void;
}

export interface RunningView {
  url: string;
  close(): Promise<void>;
}

export async function startView(opts: ViewOptions): Promise<Result<RunningView, ListenError>> {
  const files = new PipelineFiles(opts.project.root);
  const builder = new SnapshotBuilder(opts.project, opts.requested, files, opts.signal);
  const rows = new RowsService(opts.project, files);
  const stateDir = path.join(opts.project.root, opts.project.stateDir);
  const feed = new LiveFeed(async () => {
    const { apiIntervalMs, filesIntervalMs, idleIntervalMs, connector, missingSetting } = opts;
    const source = await openProgressSource({
      stateDir,
      ...(missingSetting ? { missingSetting } : {}),
      apiIntervalMs,
      filesIntervalMs,
      ...(idleIntervalMs ? { idleIntervalMs } : {}),
      ...(connector ? { connector } : {}),
    });
    try {
      const statuses = await builder.statuses(source.services);
      return { snapshot: await builder.build(statuses, source.source, source.build), nextInMs: source.nextInMs };
    } finally {
      await source.release();
    }
  }, opts.onError);
  // Listen first: a taken port is reported before any work; the page waits for the first snapshot.
  const server = await startViewServer({ port: opts.port, feed, rows, assets: await loadPageAssets() });
  if (!server.ok) return server;
  await feed.start();
  return {
    ok: true,
    value: {
      url: server.value.url,
      async close() {
        await feed.stop();
        await server.value.close();
        await rows.close();
      },
    },
  };
}
