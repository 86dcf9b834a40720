/**
 * Requests answered over time: exact times from results files, live samples for batches in flight,
 * and a target counted once when its results file replaces its samples.
 */
import { utimes } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { AnswerTimeline } from '../../src/view/answer-timeline.ts';
import { PipelineFiles } from '../../src/view/pipeline-files.ts';
import { Rig } from '../helpers/rig.ts';
import { answered, refused } from './fixture.ts';

let rig: Rig | undefined;
afterEach(() => rig?.dispose());

const at = (seconds: number) => ({
  ...answered('x', 'y'),
  response: { status_code: 200, body: { created: seconds, choices: [{ message: { content: 'y' } }] } },
});

it('counts answers by their time, samples in-flight batches, and never counts a target twice', async () => {
  rig = await Rig.create('pipeline-view-timeline-');
  const files = new PipelineFiles(rig.dir);
  const timeline = new AnswerTimeline(files);
  await rig.write({ 'a.jsonl': [at(1000), at(1001), refused('z', 'no'), at(1005)] });
  const results = new Map([
    ['a', 'a.jsonl'],
    ['b', 'b.jsonl'],
  ]);
  await timeline.refreshHistory(results);
  const history = timeline.points().points;
  expect(history[0]).toEqual([1_000_000, 1]);
  expect(history.at(-1)).toEqual([1_005_000, 3]);

  // Target b in flight: 4 then 10 answered, sampled after a's answers.
  timeline.sample(2_000_000, new Map([['b', 4]]));
  timeline.sample(2_000_000, new Map([['b', 4]])); // no change, no sample
  timeline.sample(3_000_000, new Map([['b', 10]]));
  expect(timeline.points().points.at(-1)).toEqual([3_000_000, 13]);

  // b's results file is written (after the samples): its own lines count, its samples no more.
  await rig.write({ 'b.jsonl': Array.from({ length: 10 }, (_, i) => at(2500 + i)) });
  await utimes(rig.path('b.jsonl'), 3100, 3100);
  timeline.sample(3_100_000, new Map());
  await timeline.refreshHistory(results);
  const points = timeline.points().points;
  expect(points.at(-1)).toEqual([3_100_000, 13]);
  expect(Math.max(...points.map(([, n]) => n))).toBe(13);
});
