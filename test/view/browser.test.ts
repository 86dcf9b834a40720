/**
 * `pipeline view` end to end, in a real browser: a pipeline in a temp dir built offline on the
 * built-in emulator while the page is open. The page shows the overview (with the money still
 * expected before anything is sent), follows the batches' progress without a reload, shows the
 * graph, the money and the rows of a merged file; a failed row shows its reason; `status --html`
 * opens from a file with no server. Screenshots go to test-output/.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { REPO, Rig } from '../helpers/rig.ts';
import { startE2e, type E2e } from '../e2e/helpers.ts';
import { hasChromium, launchBrowser, SKIP_REASON, TEST_OUTPUT, type Browser } from './browser.ts';
import { startViewCli, type ViewProcess } from './view-process.ts';

/** The page updates within a second or two; a loaded machine gets more. */
const soon = { timeout: 20_000, interval: 100 };

if (!hasChromium) console.warn(`pipeline view browser tests ${SKIP_REASON}`);

describe.skipIf(!hasChromium)('pipeline view in Chromium', () => {
  let browser: Browser;
  let view: ViewProcess | undefined;
  let rig: Rig | undefined;
  let e2e: E2e | undefined;
  let background: Promise<unknown> | undefined;

  beforeAll(async () => {
    await mkdir(TEST_OUTPUT, { recursive: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    // Builds started by a test that failed run on to their end first: no process outlives the test.
    await background?.catch(() => undefined);
    background = undefined;
    await view?.stop();
    view = undefined;
    await rig?.dispose();
    rig = undefined;
    await e2e?.dispose();
    e2e = undefined;
  });

  async function openPage(url: string): Promise<Page> {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
    await page.goto(url);
    (page as Page & { problems?: string[] }).problems = problems;
    return page;
  }

  const stateOf = (page: Page, target: string) =>
    page.locator(`tr[data-target="${target}"]`).getAttribute('data-state');
  const progressOf = (page: Page, target: string) =>
    page
      .locator(`tr[data-target="${target}"] .progress-text`)
      .textContent({ timeout: 1000 })
      .catch(() => '');

  it(
    'overview, live progress while a batch runs, graph, money, and the rows of a merged file',
    { timeout: 240_000 },
    async () => {
      rig = await Rig.create('pipeline-view-');
      const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8')).replace(
        "'./src/config/define.ts'",
        JSON.stringify(path.join(REPO, 'src/config/define.ts')),
      );
      await rig.write({ 'pipeline.config.ts': config });
      const made = await generateMmluDataset({
        outDir: rig.path('results/mmlu/original'),
        subjects: 2,
        recordsPerSubject: 100,
      });
      const [first] = made.subjects;
      const batchTarget = `paraphrase_batch/results/${first}.jsonl`;
      const mergedTarget = `paraphrased/${first}.jsonl`;

      view = await startViewCli(rig);
      const page = await openPage(view.url);
      await expect.poll(() => page.locator('table.overview tbody tr').count(), soon).toBe(6);
      expect(await stateOf(page, `paraphrase_batch/${first}.jsonl`)).toBe('stale');
      expect(await stateOf(page, mergedTarget)).toBe('waiting');
      // Before anything is sent, the dry run's estimate says what the job will cost.
      await expect
        .poll(() => page.locator('[data-total="expected"] .value').textContent(), { timeout: 30_000 })
        .toMatch(/^\$0\.\d+$/);
      expect(await page.locator(`tr[data-target="${batchTarget}"] .expected`).textContent()).toMatch(/^\$0\.\d+$/);

      // Builds run beside the page, each polling once, against slow emulated batches (at speed 0.25
      // 100 requests take 8 s in progress, after 4 s validating): the page must follow without a reload.
      await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
      const builds = (async () => {
        for (let run = 1; run <= 60; run++) {
          const r = await rig.cli(['build', '--offline'], { env: { PIPELINE_EMULATOR_SPEED: '0.25' } });
          if (r.code !== 75) return r;
        }
        throw new Error('the build did not finish in 60 runs');
      })();
      background = builds;
      let finished = false;
      void builds.finally(() => (finished = true)).catch(() => undefined);
      const seen = new Set<string>();
      let partial = '';
      while (!finished) {
        const text = await progressOf(page, batchTarget);
        if (text) seen.add(text);
        const m = /^(\d+)\/100/.exec(text ?? '');
        if (m && Number(m[1]) > 0 && Number(m[1]) < 100 && !partial) {
          partial = text!;
          await page.screenshot({ path: path.join(TEST_OUTPUT, 'view-in-flight.png') });
        }
        await page.waitForTimeout(250);
      }
      const built = await builds;
      expect(built.code, built.stderr).toBe(0);
      await expect.poll(() => stateOf(page, mergedTarget), soon).toBe('up-to-date');
      expect(partial, `progress seen: ${[...seen].join(', ')}`).toMatch(/^\d+\/100/);
      expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      await expect.poll(() => page.locator('[data-total="requests"] .value').textContent(), soon).toBe('200 / 200');
      await expect.poll(() => page.locator('[data-total="spent"] .value').textContent(), soon).toMatch(/^\$0\.\d+$/);
      // Nothing left to pay for, once the view's estimate of the finished job has come in.
      await expect.poll(() => page.locator('[data-total="expected"] .value').textContent(), soon).toBe('$0.00');
      await page.screenshot({ path: path.join(TEST_OUTPUT, 'view-overview.png') });

      // The graph, coloured by state: 2 sources + 3 targets per subject.
      await page.click('.tabs a[data-tab="graph"]');
      expect(await page.locator('svg.graph g.node').count()).toBe(8);
      expect(await page.locator('svg.graph g.node.st-up-to-date').count()).toBe(6);
      expect(await page.locator('svg.graph g.node.source').count()).toBe(2);

      // Money and time: a bar per subject in both charts, and the answered-requests line.
      await page.click('.tabs a[data-tab="money"]');
      expect(await page.locator('.chart .hbar').count()).toBe(4);
      await expect.poll(() => page.locator('svg.timeline path.line').count(), soon).toBe(1);
      await expect.poll(() => page.locator('#tab-money').textContent(), soon).toContain('200 answered by');
      await page.screenshot({ path: path.join(TEST_OUTPUT, 'view-money.png') });

      // The rows of the merged file: source and answer side by side, differences marked, tokens.
      await page.click('.tabs a[data-tab="overview"]');
      await page.click(`tr[data-target="${mergedTarget}"] a.rows-link`);
      await expect.poll(() => page.locator('#rows-range').textContent(), soon).toBe('lines 1–25 of 100');
      const rows = page.locator('#rows-body tr.row');
      expect(await rows.count()).toBe(25);
      expect(await page.locator('#rows-body th').allTextContents()).toEqual([
        'Line / id',
        'analysis',
        'paraphrased_analysis',
        'Tokens',
        '',
      ]);
      const firstRow = rows.first();
      expect(await firstRow.locator('mark.del').count()).toBeGreaterThan(0);
      expect(await firstRow.locator('mark.ins').count()).toBeGreaterThan(0);
      expect(Number((await firstRow.locator('td.num').nth(1).textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(TEST_OUTPUT, 'view-rows.png') });
      await page.click('#rows-next');
      await expect.poll(() => page.locator('#rows-range').textContent(), soon).toBe('lines 26–50 of 100');
      expect(await rows.first().getAttribute('data-id')).toBe('26');
      await page.click('#rows-prev');
      await expect.poll(() => page.locator('#rows-range').textContent(), soon).toBe('lines 1–25 of 100');

      // Search narrows the rows (streamed from the file on the server).
      const merged = (await rig.lines(`results/mmlu/${mergedTarget}`)) as { paraphrased_analysis: string }[];
      await page.fill('#rows-search', merged[56]!.paraphrased_analysis.slice(0, 160).toUpperCase());
      await expect.poll(() => rows.count(), soon).toBeLessThan(25);
      expect(await Promise.all((await rows.all()).map((tr) => tr.getAttribute('data-line')))).toContain('57');
      expect((page as Page & { problems?: string[] }).problems).toEqual([]);
    },
  );

  it('a failed row shows its reason, in the rows view and the overview', { timeout: 120_000 }, async () => {
    e2e = await startE2e(
      { subjects: 2, recordsPerSubject: 8 },
      { faults: { requestErrors: { customIds4xx: ['abstract_algebra-4'] } } },
    );
    let last = await e2e.build();
    for (let i = 0; i < 30 && last.code === 75; i++) {
      await new Promise((r) => setTimeout(r, 300));
      last = await e2e.build();
    }
    expect(last.code, last.stdout).toBe(1);

    view = await startViewCli(e2e.rig);
    const page = await openPage(`${view.url}#rows:${encodeURIComponent('paraphrased/abstract_algebra.jsonl')}`);
    await expect
      .poll(() => page.locator('#rows-head .failure').textContent(), soon)
      .toContain('1 row has no usable result');
    await expect.poll(() => page.locator('#rows-head .note').textContent(), soon).toContain('the last merge failed');
    await expect.poll(() => page.locator('#rows-range').textContent(), soon).toBe('lines 1–8 of 8');
    const failed = page.locator('#rows-body tr.row.failed');
    await expect.poll(() => failed.count(), soon).toBe(1);
    expect(await failed.getAttribute('data-id')).toBe('4');
    await expect.poll(() => failed.locator('.reason').textContent(), soon).toContain('HTTP 400');
    await expect.poll(() => failed.locator('.reason').textContent(), soon).toContain('needs a change to the request');
    await page.check('#rows-problems');
    await expect.poll(() => page.locator('#rows-body tr.row').count(), soon).toBe(1);
    await page.screenshot({ path: path.join(TEST_OUTPUT, 'view-failed-row.png') });

    await page.click('.tabs a[data-tab="overview"]');
    expect(await stateOf(page, 'paraphrased/abstract_algebra.jsonl')).toBe('failed');
    await expect
      .poll(() => page.locator('tr[data-target="paraphrased/abstract_algebra.jsonl"] .why').textContent(), soon)
      .toContain('no usable result');
    expect(await stateOf(page, 'paraphrased/anatomy.jsonl')).toBe('up-to-date');
  });

  it('status --html writes one self-contained page that opens without a server', { timeout: 120_000 }, async () => {
    e2e = await startE2e({ subjects: 2, recordsPerSubject: 5 });
    await e2e.buildUntilDone();
    const written = await e2e.rig.cli(['status', '--html', 'job.html']);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stderr).toContain('status: wrote job.html');
    const html = await e2e.rig.read('job.html');
    expect(html).not.toMatch(/<script src=|<link rel="stylesheet"/);
    const page = await openPage(`file://${e2e.rig.path('job.html')}`);
    await expect.poll(() => page.locator('table.overview tbody tr').count(), soon).toBe(6);
    await expect.poll(() => page.locator('#live').textContent(), soon).toContain('snapshot');
    expect(await page.locator('[data-total="requests"] .value').textContent()).toBe('10 / 10');
    expect(await page.locator('.tabs a[data-tab="rows"]').isHidden()).toBe(true);
    await page.click('.tabs a[data-tab="graph"]');
    expect(await page.locator('svg.graph g.node').count()).toBe(8);
    expect((page as Page & { problems?: string[] }).problems).toEqual([]);
  });
});
