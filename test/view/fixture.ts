/**
 * A pipeline for the view's tests without running anything: the repo's MMLU config in a temp dir
 * with source, raw result and merged files written by hand, so each test says exactly what is on
 * disk.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadProject, type Project } from '../../src/cli/project.ts';
import { REPO, Rig } from '../helpers/rig.ts';

export async function mmluRig(): Promise<Rig> {
  const rig = await Rig.create('pipeline-view-');
  const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8')).replace(
    "'./src/config/define.ts'",
    JSON.stringify(path.join(REPO, 'src/config/define.ts')),
  );
  await rig.write({ 'pipeline.config.ts': config });
  return rig;
}

export async function projectOf(rig: Rig): Promise<Project> {
  const project = await loadProject(undefined, rig.dir);
  if (!project.ok) throw new Error(`${project.error.message}: ${project.error.details.join('; ')}`);
  return project.value;
}

export const source = (n: number, subject = 'anatomy') => ({
  question_number: n,
  subject,
  question: `Q${n}?`,
  analysis: `Analysis ${n}: the heart pumps blood because the muscle contracts.`,
});

export const answered = (customId: string, text: string, tokens = { input: 30, output: 20 }) => ({
  custom_id: customId,
  response: {
    status_code: 200,
    body: {
      created: 1_700_000_000,
      choices: [{ message: { role: 'assistant', content: text } }],
      usage: {
        prompt_tokens: tokens.input,
        completion_tokens: tokens.output,
        total_tokens: tokens.input + tokens.output,
      },
    },
  },
});

export const refused = (customId: string, message: string) => ({
  custom_id: customId,
  response: { status_code: 400, body: { error: { message, type: 'invalid_request_error', code: 'invalid_value' } } },
});
