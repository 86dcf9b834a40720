/**
 * `pipeline status --html FILE`: the view's overview, graph and money as one self-contained HTML
 * file (style, script and data inside; no server, no network), for sharing a job's state.
 */
import type { TargetStatus } from '../engine/status.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { loadPageAssets, selfContainedPage } from './page-assets.ts';
import { PipelineFiles } from './pipeline-files.ts';
import type { SourceInfo } from './progress-source.ts';
import { SnapshotBuilder, type ViewProject } from './snapshot-builder.ts';

export async function writeStatusPage(
  file: string,
  opts: {
    project: ViewProject;
    requested: readonly string[];
    statuses: readonly TargetStatus[];
    source: SourceInfo;
    build?: string;
    signal: AbortSignal;
  },
): Promise<void> {
  const builder = new SnapshotBuilder(opts.project, opts.requested, new PipelineFiles(opts.project.root), opts.signal);
  // The first build starts the money estimate; the page is made once it is in.
  await builder.build(opts.statuses, opts.source, opts.build);
  await builder.settled();
  const snapshot = await builder.build(opts.statuses, opts.source, opts.build);
  await writeFileAtomic(file, selfContainedPage(await loadPageAssets(), snapshot));
}
