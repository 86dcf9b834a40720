/**
 * The page's three files (src/view/assets), read once: served as they are by `pipeline view`, or
 * put together with a snapshot into one self-contained HTML file for `status --html`.
 */
import { readFile } from 'node:fs/promises';

export interface PageAssets {
  /** The page as served, loading /style.css and /app.js. */
  livePage: string;
  script: string;
  style: string;
}

const ASSETS = new URL('./assets/', import.meta.url);

export async function loadPageAssets(): Promise<PageAssets> {
  const [livePage, script, style] = await Promise.all(['index.html', 'app.js', 'style.css'].map((name) => readFile(new URL(name, ASSETS), 'utf8')));
  return { livePage: livePage!, script: script!, style: style! };
}

/** One HTML file holding the page, its style and script, and the snapshot it shows. */
export function selfContainedPage(assets: PageAssets, snapshot: unknown): string {
  // Inside <script>, "<" is escaped so no text in the data can close the element early.
  const data = JSON.stringify(snapshot).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  const script = assets.script.replace(/<\/script/gi, '<\\/script');
  return assets.livePage
    .replace('<link rel="stylesheet" href="style.css">', () => `<style>\n${assets.style}</style>`)
    .replace('<script src="app.js"></script>', () => `<script>window.PIPELINE_SNAPSHOT = ${data};</script>\n<script>\n${script}</script>`);
}
