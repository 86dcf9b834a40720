/**
 * The view's HTTP server: read-only, loopback, answering only to its own host names; the page, its
 * snapshot (the same model as `status --json`, with money) and its event stream; rows refused for
 * anything but a merge target.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startView, type RunningView } from '../../src/view/start-view.ts';
import type { ViewSnapshot } from '../../src/view/snapshot.ts';
import type { Rig } from '../helpers/rig.ts';
import { answered, mmluRig, projectOf, source } from './fixture.ts';

let rig: Rig;
let view: RunningView;
let port: number;
const controller = new AbortController();

beforeAll(async () => {
  rig = await mmluRig();
  await rig.write({
    'results/mmlu/original/anatomy.jsonl': [source(1), source(2)],
    'results/mmlu/paraphrase_batch/results/anatomy.jsonl': [answered('anatomy-1', 'one'), answered('anatomy-2', 'two')],
  });
  const project = await projectOf(rig);
  const started = await startView({
    project,
    requested: [...project.graph.targets.keys()],
    port: 0,
    apiIntervalMs: 10_000,
    filesIntervalMs: 200,
    signal: controller.signal,
    onError: (e) => console.error(e),
  });
  if (!started.ok) throw new Error(started.error.message);
  view = started.value;
  port = Number(new URL(view.url).port);
});
afterAll(async () => {
  controller.abort();
  await view?.close();
  await rig?.dispose();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  path: string,
  opts: { host?: string; method?: string; until?: (body: string) => boolean } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: opts.host ?? `127.0.0.1:${port}` },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
          if (opts.until?.(body)) {
            req.destroy();
            resolve({ status: res.statusCode!, headers: res.headers, body });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('pipeline view server', () => {
  it('listens on 127.0.0.1 and serves the page with a strict content policy', async () => {
    expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('<script src="app.js"></script>');
    expect((await get('/app.js')).body).toContain('EventSource');
    expect((await get('/style.css')).status).toBe(200);
    expect((await get('/', { host: `localhost:${port}` })).status).toBe(200);
  });

  it('refuses other host names (DNS rebinding), writes, and unknown paths', async () => {
    expect((await get('/', { host: 'evil.example:80' })).status).toBe(403);
    expect((await get('/api/snapshot', { host: `attacker.test:${port}` })).status).toBe(403);
    expect((await get('/api/snapshot', { method: 'POST' })).status).toBe(405);
    expect((await get('/api/snapshot', { method: 'DELETE' })).status).toBe(405);
    expect((await get('/../../etc/passwd')).status).toBe(404);
    expect((await get('/src/view/server.ts')).status).toBe(404);
  });

  it('the snapshot: the status of every target, money, the graph', async () => {
    const snapshot = JSON.parse((await get('/api/snapshot')).body) as ViewSnapshot;
    expect(snapshot.targets.map((t) => [t.target, t.state, t.rows])).toEqual([
      ['paraphrase_batch/anatomy.jsonl', 'stale', false],
      ['paraphrase_batch/results/anatomy.jsonl', 'waiting', false],
      ['paraphrased/anatomy.jsonl', 'waiting', true],
    ]);
    expect(snapshot.source.kind).toBe('files');
    expect(snapshot.graph.nodes.map((n) => [n.id, n.layer])).toEqual([
      ['original/anatomy.jsonl', 0],
      ['paraphrase_batch/anatomy.jsonl', 1],
      ['paraphrase_batch/results/anatomy.jsonl', 2],
      ['paraphrased/anatomy.jsonl', 3],
    ]);
    expect(snapshot.money.map((m) => m.group)).toEqual(['anatomy']);
  });

  it('the event stream sends the snapshot at once', async () => {
    const events = await get('/api/events', { until: (body) => body.includes('\n\n') });
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(events.body).toMatch(/^event: snapshot\ndata: \{"generatedAt":\d+/);
  });

  it('rows of a merge target; anything else or a bad page is refused', async () => {
    const rows = JSON.parse((await get('/api/rows?target=paraphrased%2Fanatomy.jsonl&limit=1')).body) as {
      rows: { answer: { text: string } }[];
      next: number;
    };
    expect(rows.rows.map((r) => r.answer.text)).toEqual(['one']);
    expect(rows.next).toBe(1);
    expect((await get('/api/rows?target=..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
    expect((await get('/api/rows?target=original%2Fanatomy.jsonl')).status).toBe(404);
    expect((await get('/api/rows')).status).toBe(400);
    expect((await get('/api/rows?target=paraphrased%2Fanatomy.jsonl&from=-1')).status).toBe(400);
    expect((await get('/api/rows?target=paraphrased%2Fanatomy.jsonl&limit=abc')).status).toBe(400);
  });
});
