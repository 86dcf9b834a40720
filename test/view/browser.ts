/**
 * A real browser for the view's tests: Debian's Chromium driven by playwright-core (which never
 * downloads a browser of its own). Without /usr/bin/chromium the browser tests are skipped, and
 * say why: `.ci/run` installs it, `apt-get install -y chromium` does so by hand.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { REPO } from '../helpers/rig.ts';

export const CHROMIUM = process.env.PIPELINE_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const SKIP_REASON = `skipped: no Chromium at ${CHROMIUM} (install it with \`apt-get update && apt-get install -y chromium\`; .ci/run does)`;

/** Where screenshots go (git-ignored). */
export const TEST_OUTPUT = path.join(REPO, 'test-output');

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'pipeline-view-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
