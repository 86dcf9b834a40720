/**
 * The status summary totals tokens and dollars once: over the remote targets, which own them
 * (a merge target repeats its batch's tokens in its own row). Decided by the stage, not by the
 * rule's name: a merge rule called something else must not be counted twice.
 */
import { afterEach, expect, it } from 'vitest';
import { FAKE_KEY, startE2e, type E2e } from './helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

interface Row {
  target: string;
  rule: string;
  remoteStage: boolean;
  usage?: { input: number; output: number };
}

for (const mergeRule of ['merge', 'combine']) {
  it(`a merge rule named '${mergeRule}': the tokens are the batch's, counted once`, async () => {
    e = await startE2e({ subjects: 1, recordsPerSubject: 3 });
    const config = await e.rig.read('pipeline.config.ts');
    await e.rig.write({ 'pipeline.config.ts': config.replace("name: 'merge'", `name: '${mergeRule}'`) });
    await e.buildUntilDone();
    const env = { OPENAI_API_KEY: FAKE_KEY, OPENAI_BASE_URL: e.emulator.url };
    const rows = JSON.parse((await e.rig.run(['status', '--json'], { env })).stdout) as Row[];
    const batch = rows.find((r) => r.rule === 'batch')!;
    const merged = rows.find((r) => r.rule === mergeRule)!;
    expect(batch.remoteStage).toBe(true);
    expect(merged.remoteStage).toBe(false);
    expect(merged.usage).toEqual(batch.usage); // the merge row shows the same tokens…
    const tokens = batch.usage!.input + batch.usage!.output;
    const table = (await e.rig.run(['status'], { env })).stdout;
    expect(table).toMatch(
      new RegExp(
        `Summary: 3 up-to-date — spent \\$[0-9.]+ \\(batch price\\), ${tokens.toLocaleString('en-US')} tokens\\n`,
      ),
    ); // …counted once
  });
}
