/** The CLI end to end in a subprocess, as a user runs it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localConfig, records, Rig } from '../helpers/rig.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await Rig.create();
  await rig.write({
    'pipeline.config.ts': localConfig(),
    'data/original/anatomy.jsonl': records('anatomy', 2),
    'data/original/astronomy.jsonl': records('astronomy', 2),
  });
});
afterAll(() => rig.dispose());

describe('pipeline CLI', () => {
  it('--help lists the commands, and every command has its own --help', async () => {
    const top = await rig.cli(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['build', 'status', 'cancel', 'clean', 'graph', 'watch', 'emulator'])
      expect(top.stdout).toContain(`  ${name}`);
    for (const name of ['build', 'status', 'cancel', 'clean', 'graph']) {
      const help = await rig.cli([name, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: pipeline ${name}`));
    }
  });

  it('an unknown command or option is a usage error (exit 2)', async () => {
    expect(await rig.cli(['biuld'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown command 'biuld' (did you mean 'build'?)") as string,
    });
    expect(await rig.cli(['build', '--frobnicate'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("Unknown option '--frobnicate'") as string,
    });
  });

  it('build -n says what would run and changes nothing', async () => {
    const dry = await rig.cli(['build', '-n']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would run   requests/anatomy.jsonl (never built)');
    expect(dry.stdout).toContain('4 would run');
    const status = JSON.parse((await rig.cli(['status', '--json'])).stdout) as { state: string }[];
    expect(status.map((s) => s.state)).toEqual(['stale', 'waiting', 'stale', 'waiting']);
  });

  it('build, then status --json is valid JSON with every target up to date', async () => {
    const build = await rig.cli(['build']);
    expect(build.code).toBe(0);
    expect(build.stdout).toContain('✓ built       requests/anatomy.jsonl (2 requests');
    expect(build.stdout).toMatch(/4 built\n$/);
    const status = await rig.cli(['status', '--json']);
    const parsed = JSON.parse(status.stdout) as { target: string; state: string }[];
    expect(parsed).toHaveLength(4);
    expect(parsed.every((s) => s.state === 'up-to-date')).toBe(true);
    const again = await rig.cli(['build']);
    expect(again).toMatchObject({ code: 0, stdout: '4 up to date\n' });
  });

  it('targets by path from the repo root, by glob, by rule name', async () => {
    expect((await rig.cli(['build', '-v', 'data/requests/anatomy.jsonl'])).stdout).toContain(
      'up to date  requests/anatomy.jsonl',
    );
    const globbed = (await rig.cli(['build', '-v', 'requests/*.jsonl'])).stdout;
    expect(globbed).toContain('up to date  requests/anatomy.jsonl');
    expect(globbed).toContain('up to date  requests/astronomy.jsonl');
    expect(globbed).toContain('2 up to date');
    expect((await rig.cli(['status', 'count'])).stdout).toContain('counts/astronomy.txt');
  });

  it('an unknown target is exit 2 with a suggestion', async () => {
    const run = await rig.cli(['build', 'requests/anatomi.jsonl']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown target 'requests/anatomi.jsonl'");
    expect(run.stderr).toContain("did you mean 'requests/anatomy.jsonl'?");
  });

  it('graph --format dot and mermaid', async () => {
    const dot = await rig.cli(['graph', '--format', 'dot']);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph pipeline \{/);
    expect(dot.stdout).toContain('[label="original/anatomy.jsonl", style=dashed]');
    expect(dot.stdout).toMatch(/n\d+ -> n\d+ \[label="requests"\];/);
    expect((await rig.cli(['graph', '--format', 'mermaid'])).stdout).toMatch(/^flowchart LR/);
    expect((await rig.cli(['graph', '--format', 'png'])).code).toBe(2);
  });

  it('a bad source line: exit 1, file:line in the message, the other subject built', async () => {
    const bad = await Rig.create();
    try {
      await bad.write({
        'pipeline.config.ts': localConfig(),
        'data/original/a.jsonl': records('a', 1),
        'data/original/b.jsonl': '{"question_number": 1, "analysis": "x"}\n{oops\n',
      });
      const run = await bad.cli(['build']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('✗ failed      requests/b.jsonl\n    original/b.jsonl:2: invalid JSON');
      expect(run.stdout).toContain('✓ built       counts/a.txt');
      const status = JSON.parse((await bad.cli(['status', '--json'])).stdout) as { target: string; state: string }[];
      expect(status.find((s) => s.target === 'requests/b.jsonl')).toMatchObject({ state: 'failed' });
    } finally {
      await bad.dispose();
    }
  });

  it('an invalid config: exit 2 with the key path, never a stack trace', async () => {
    const bad = await Rig.create();
    try {
      await bad.write({
        'pipeline.config.ts': `export default { root: 'data', rules: [{ name: 'r', inputs: ['in/{x}.jsonl'], output: 'out/{y}.jsonl', stage: { kind: 'requests', prompt: 5 } }] };`,
      });
      const run = await bad.cli(['build']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('pipeline.config.ts: invalid config');
      expect(run.stderr).toContain('rules[0].output: wildcard {y} does not appear in the first input "in/{x}.jsonl"');
      expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
      await bad.write({
        'pipeline.config.ts': `export default { root: 'data', rules: [{ name: 'r', inputs: ['in/{x}.jsonl'], output: 'out/{x}.jsonl', stage: { kind: 'requests', prompt: 5 } }] };`,
      });
      const second = await bad.cli(['status']);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain('rules[0].stage.prompt: Invalid input: expected string, received number');
      await bad.write({ 'pipeline.config.ts': 'export default {{' });
      const syntax = await bad.cli(['build']);
      expect(syntax.code).toBe(2);
      expect(syntax.stderr).toContain('pipeline.config.ts: cannot load the config');
    } finally {
      await bad.dispose();
    }
  });

  it('clean removes derived files and records, never sources', async () => {
    const run = await rig.cli(['clean', 'requests/anatomy.jsonl']);
    expect(run.stdout).toContain('removed requests/anatomy.jsonl');
    expect(await rig.read('data/original/anatomy.jsonl')).toContain('anatomy');
    const after = await rig.cli(['build']);
    expect(after.stdout).toContain('✓ built       requests/anatomy.jsonl');
    expect(after.stdout).not.toContain('counts/anatomy.txt'); // same bytes again: early cutoff
  });
});
