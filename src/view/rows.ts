/**
 * Pages of a merge target's records for the row view, streamed from the file: a page is read from
 * the nearest indexed line (see LineIndex), so a 100 MB file opens at once and no request reads a
 * whole file into memory. A search (or "problems only") scans forward from the page's start for a
 * bounded time and says where it stopped, so the next page carries on from there.
 *
 * Which file is paged: the merged output when it is there and the last merge did not fail;
 * otherwise the source records, each joined with its raw result line, so a failed merge shows
 * every row with its answer or the reason it has none.
 */
import path from 'node:path';
import type { TargetGraph } from '../graph/build-graph.ts';
import type { ResolvedRule } from '../engine/resolve-stages.ts';
import { StateStore, type TargetRecord } from '../engine/state-store.ts';
import { err, ok, type Result } from '../util/result.ts';
import { linesFrom } from './file-lines.ts';
import { LineIndexes } from './line-index.ts';
import type { PipelineFiles } from './pipeline-files.ts';
import { ResultLookups } from './result-lookups.ts';
import { rowShapeOf, type RowShape } from './row-shape.ts';
import { joinedRow, mergedRow, searchableText, withDiff, type ResultSource, type RowView } from './row-view.ts';

export interface RowsQuery {
  target: string;
  /** 0-based line of the file to start at. */
  from: number;
  limit: number;
  /** Only rows containing this text (case-insensitive). */
  search?: string;
  /** Only rows without a usable answer. */
  problems?: boolean;
}

export interface RowsPage {
  target: string;
  /** `merged`: the merge's output; `joined`: source records joined with the raw results. */
  mode: 'merged' | 'joined';
  /** The file paged, relative to the root. */
  file: string;
  /** Why the merged file is not the one shown. */
  note?: string;
  fields: Pick<RowShape, 'idField' | 'outputField' | 'tokensField' | 'sourceFields'>;
  failure?: TargetRecord['failure'];
  rows: RowView[];
  from: number;
  /** Where the next page starts; absent at the end of the file. */
  next?: number;
  /** Lines in the file, once counted. */
  total?: number;
  /** Lines looked at for this page (more than `rows` when filtering). */
  scanned: number;
}

export type RowsError = { status: 400 | 404; message: string };

export interface RowsProject {
  root: string;
  stateDir: string;
  graph: TargetGraph;
  rules: ReadonlyMap<string, ResolvedRule>;
}

/** A filtered page stops scanning after this long and says where it got to. */
const SCAN_BUDGET_MS = 300;
export const MAX_PAGE = 200;

export class RowsService {
  readonly #indexes = new LineIndexes();
  readonly #lookups = new ResultLookups();

  constructor(
    private readonly project: RowsProject,
    private readonly files: PipelineFiles,
  ) {}

  /** The merge targets whose rows can be shown. */
  targets(): string[] {
    return [...this.project.graph.targets.keys()].filter((t) => rowShapeOf(this.project.graph, this.project.rules, t));
  }

  async page(query: RowsQuery): Promise<Result<RowsPage, RowsError>> {
    const shape = rowShapeOf(this.project.graph, this.project.rules, query.target);
    if (!shape) return err({ status: 404, message: `${query.target} is not a merge target of this pipeline` });
    // A store per page: it reads the state log once, and a build may have written it since.
    const record = await new StateStore(path.join(this.project.root, this.project.stateDir)).read(shape.target);
    const merged = this.files.file(shape.merged);
    const useMerged = merged.ok && !record?.failure;
    const file = useMerged ? merged : this.files.file(shape.source);
    if (!file.ok) return err({ status: 404, message: file.error.message });
    const note = useMerged
      ? undefined
      : record?.failure
        ? `the last merge failed, so its source records are shown joined with ${shape.results}`
        : `${shape.merged} is not built yet, so its source records are shown joined with ${shape.results}`;
    const results = useMerged ? undefined : await this.#resultsFor(shape);

    const index = this.#indexes.for(file.value);
    const start = await index.startFor(query.from);
    const needle = query.search?.trim().toLowerCase() || undefined;
    const filtered = needle !== undefined || query.problems === true;
    const limit = Math.max(1, Math.min(MAX_PAGE, query.limit));
    const rows: RowView[] = [];
    const began = Date.now();
    let scanned = 0;
    let next: number | undefined;
    for await (const line of linesFrom(file.value.absolute, start)) {
      if (line.index < query.from) continue;
      if (rows.length >= limit || (filtered && Date.now() - began > SCAN_BUDGET_MS)) {
        next = line.index;
        break;
      }
      scanned += 1;
      if (line.text.trim() === '') continue;
      const row = results
        ? await joinedRow(shape, line.index + 1, line.text, results)
        : mergedRow(shape, line.index + 1, line.text);
      if (query.problems && row.status === 'answered') continue;
      if (needle !== undefined && !searchableText(row).includes(needle)) continue;
      rows.push(withDiff(row));
    }
    const total = index.total;
    return ok({
      target: shape.target,
      mode: useMerged ? 'merged' : 'joined',
      file: file.value.relative,
      ...(note ? { note } : {}),
      fields: {
        idField: shape.idField,
        outputField: shape.outputField,
        tokensField: shape.tokensField,
        sourceFields: shape.sourceFields,
      },
      ...(record?.failure ? { failure: record.failure } : {}),
      rows,
      from: query.from,
      ...(next !== undefined ? { next } : {}),
      ...(total !== undefined ? { total } : {}),
      scanned,
    });
  }

  async #resultsFor(shape: RowShape): Promise<ResultSource> {
    const results = this.files.file(shape.results);
    if (!results.ok)
      return {
        unavailable:
          results.error.kind === 'not-found'
            ? `no results yet (${shape.results} does not exist)`
            : results.error.message,
      };
    return this.#lookups.for(results.value);
  }

  close(): Promise<void> {
    return this.#lookups.close();
  }
}
