/**
 * Raw result lines by custom_id for the row view, one ResultLookup (an index of byte offsets, not
 * the lines) per results file version, reused across pages. Lookups are serialised: a lookup
 * reads through one file cursor, which concurrent pages must not share at once.
 */
import { ResultLookup } from '../stages/result-lookup.ts';
import type { PipelineFile } from './pipeline-files.ts';
import type { ResultSource } from './row-view.ts';

interface Opened {
  version: string;
  source: ResultSource;
  close(): Promise<void>;
}

export class ResultLookups {
  readonly #byFile = new Map<string, { version: string; opened: Promise<Opened> }>();

  for(file: PipelineFile): Promise<ResultSource> {
    const version = `${file.size}:${file.mtimeMs}`;
    const known = this.#byFile.get(file.absolute);
    if (known?.version === version) return known.opened.then((o) => o.source);
    if (known) void known.opened.then((o) => o.close());
    const opened = open(file, version);
    this.#byFile.set(file.absolute, { version, opened });
    return opened.then((o) => o.source);
  }

  async close(): Promise<void> {
    const all = [...this.#byFile.values()];
    this.#byFile.clear();
    for (const { opened } of all) await (await opened).close();
  }
}

async function open(file: PipelineFile, version: string): Promise<Opened> {
  const opened = await ResultLookup.open(file.absolute);
  if (!opened.ok) {
    const first = opened.problems[0]!;
    const unavailable = `${file.relative} has lines that are not result lines (line ${first.line}: ${first.message}${opened.problems.length > 1 ? `, and ${opened.problems.length - 1} more` : ''})`;
    return { version, source: { unavailable }, close: () => Promise.resolve() };
  }
  const lookup = opened.lookup;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    version,
    source: {
      get(customId) {
        const answer = queue.then(() => lookup.get(customId));
        queue = answer.catch(() => undefined);
        return answer;
      },
    },
    close: () => queue.then(() => lookup.close()),
  };
}
