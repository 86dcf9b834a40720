/**
 * Issue 32: a model the price table does not know is priced as unknown, never as $0 — `build -n`
 * names it, and under a cost limit it is not sent (it could cost anything) until the rule prices
 * it, by `pricing` or by mapping the deployment to the model it runs (`deployments`). Online rules
 * through the real CLI; batch rules through the stage as the engine drives it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, requestLines as batchLines, type Harness } from '../batch/harness.ts';
import { requestLines, startOnlineRig, type OnlineRig } from '../e2e/online-helpers.ts';

let r: OnlineRig | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await r?.dispose();
  await h?.close();
  r = undefined;
  h = undefined;
});

const LOCAL = 'llama-3-local';

describe('a model with no price', () => {
  it('online: build -n names it, --max-cost refuses to send it; mapped to a priced model, it is sent', async () => {
    const lines = requestLines(6, (_, l) => ({ ...l, body: { ...l.body, model: LOCAL } }));
    r = await startOnlineRig({ files: { a: lines } });
    const dry = await r.build(['-n']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`no price for model ${LOCAL}: its requests are not in the dollars above`));

    const refused = await r.build(['--max-cost', '5']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      new RegExp(`cannot keep the cost limit \\(--max-cost \\$5\\.00\\): model ${LOCAL} has no price`),
    );
    expect(refused.stdout).toMatch(/add it to the rule's `pricing` \(or map the served name/);
    expect(Object.keys((await r.emulator.stats()).online.byStatus)).toEqual([]);

    // The rule says what it runs: priced as gpt-4.1-mini, it is sent under the same budget.
    const config = await r.rig.read('pipeline.config.ts');
    await r.rig.write({
      'pipeline.config.ts': config.replace(
        '"kind":"online"',
        `"kind":"online","deployments":{"${LOCAL}":"gpt-4.1-mini"}`,
      ),
    });
    const priced = await r.build(['-n']);
    expect(priced.stdout).not.toMatch(/no price for model/);
    expect(priced.stdout).toMatch(/\$0\.\d+ at batch price/);
    // Sent: the emulator does not serve a local model, so each answer is its 404 (a real local server would answer).
    const sent = await r.build(['--max-cost', '5']);
    expect((await r.emulator.stats()).online.byStatus['404'], sent.stdout + sent.stderr).toBe(6);
  });

  it('batch: --max-cost and maxCostUsd refuse to submit it; nothing is uploaded', async () => {
    const unknown = batchLines('x', 4).map((l) => ({ ...l, body: { ...l.body, model: 'my-finetune' } }));
    for (const options of [{ limits: { maxCostUsd: 5 } }, { config: { maxCostUsd: 5 } }]) {
      h = await createHarness(options);
      await h.writeRequests('x', unknown);
      const out = (await h.cycle(['x'])).get('x');
      expect(out).toMatchObject({ kind: 'failed', failure: { reason: 'budget-exceeded' } });
      expect(JSON.stringify(out)).toMatch(/model my-finetune has no price, so its requests could cost anything/);
      expect((await h.emulator.stats()).filesUploaded).toBe(0);
      await h.close();
      h = undefined;
    }
  });
});
