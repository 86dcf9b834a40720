/**
 * The page's files (src/view/assets), read once: served as they are by `pipeline view`, or put
 * together with a snapshot into one self-contained HTML file for `status --html`. The scripts are
 * plain browser scripts sharing `window.pipelineView`, loaded in the order of index.html.
 */
import { readFile } from 'node:fs/promises';

export const SCRIPTS = ['dom.js', 'overview.js', 'graph.js', 'money.js', 'rows.js', 'app.js'] as const;

export interface PageAssets {
  /** The page as served, loading style.css and the scripts. */
  livePage: string;
  style: string;
  /** By file name, e.g. `app.js`. */
  scripts: ReadonlyMap<string, string>;
}

const ASSETS = new URL('./assets/', import.meta.url);
const read = (name: string) => readFile(new URL(name, ASSETS), 'utf8');

export async function loadPageAssets(): Promise<PageAssets> {
  const [livePage, style, ...scripts] = await Promise.all([
    read('index.html'),
    read('style.css'),
    ...SCRIPTS.map(read),
  ]);
  return { livePage, style, scripts: new Map(SCRIPTS.map((name, i) => [name, scripts[i]!])) };
}

/** One HTML file holding the page, its style and scripts, and the snapshot it shows. */
export function selfContainedPage(assets: PageAssets, snapshot: unknown): string {
  // Inside <script>, "<" is escaped so no text in the data can close the element early.
  const data = JSON.stringify(snapshot)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  let page = assets.livePage.replace(
    '<link rel="stylesheet" href="style.css">',
    () => `<style>\n${assets.style}</style>`,
  );
  page = page.replace(
    '<script src="dom.js"></script>',
    () => `<script>window.PIPELINE_SNAPSHOT = ${data};</script>\n<script src="dom.js"></script>`,
  );
  for (const [name, text] of assets.scripts)
    page = page.replace(
      `<script src="${name}"></script>`,
      () => `<script>\n${text.replace(/<\/script/gi, '<\\/script')}</script>`,
    );
  return page;
}
