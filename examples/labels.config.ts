/**
 * Structured outputs and a TypeScript transform: label every MMLU question with its difficulty,
 * topics, whether the stored answer is right and why, through the Batch API; the replies are
 * validated with the zod schema the request was built from (declared once, on the requests rule), merged into the records, and
 * summarised per subject.
 *
 *   results/mmlu/original/{subject}.jsonl
 *     → labels_batch/{subject}.jsonl            requests with response_format json_schema
 *     → labels_batch/results/{subject}.jsonl    raw results (Batch API)
 *     → labels/{subject}.jsonl                  source record + difficulty, topics, answer_is_correct, rationale
 *     → labels/summary.json                     counts per difficulty per subject (a transform over every subject)
 *
 *   npx tsx pipeline build -C examples/labels.config.ts --offline --wait   # on the emulator, no key
 */
import { batch, definePipeline, merge, requests, rule, transform, z } from '../src/config/define.ts';

/** The reply: OpenAI's strict mode needs every field required (nullable where optional). */
export const Label = z.object({
  difficulty: z.enum(['easy', 'medium', 'hard']),
  topics: z.array(z.string()).min(1).max(3),
  answer_is_correct: z.boolean(),
  rationale: z.string(),
});

export default definePipeline({
  root: '../results/mmlu',
  rules: [
    rule({
      name: 'label-requests',
      description: 'one structured-output request per question',
      inputs: ['original/{subject}.jsonl'],
      output: 'labels_batch/{subject}.jsonl',
      stage: requests({
        model: 'gpt-4.1-mini',
        system: 'You review exam questions for a benchmark audit. Answer only with the requested fields.',
        prompt: [
          'Subject: {subject}',
          'Question: {question}',
          'Stored answer: {answer}',
          'Analysis: {analysis}',
          '',
          'Rate how hard the question is, name 1 to 3 topics it tests, say whether the stored answer is',
          'correct, and give a one-sentence rationale.',
        ].join('\n'),
        params: { temperature: 0, max_tokens: 400 },
        schema: Label,
        schemaName: 'mmlu_label',
      }),
    }),
    rule({
      name: 'label-batch',
      inputs: ['labels_batch/{subject}.jsonl'],
      output: 'labels_batch/results/{subject}.jsonl',
      marker: 'labels_batch/{subject}.batch.json',
      // The requests rule's schema is carried here: replies are checked as they arrive, and an invalid
      // one is asked again (up to twice per build), with the error.
      stage: batch({ maxAttempts: 3, maxInvalidAttempts: 2, repairPrompt: true }),
    }),
    rule({
      name: 'labels',
      description: 'source records + validated labels',
      inputs: ['original/{subject}.jsonl', 'labels_batch/results/{subject}.jsonl'],
      output: 'labels/{subject}.jsonl',
      // …and here: each reply parsed with the same schema, its fields spread into the record.
      stage: merge({ spread: true, tokensField: 'label_tokens' }),
    }),
    rule({
      name: 'summary',
      description: 'counts per difficulty per subject, over every labelled subject',
      inputs: ['labels/{subject}.jsonl'],
      output: 'labels/summary.json',
      stage: transform({
        runFile: async (files) => {
          const summary: Record<string, Record<string, number>> = {};
          for (const input of files.inputs) {
            for await (const record of files.records(input)) {
              const counts = (summary[String(record.subject)] ??= { easy: 0, medium: 0, hard: 0 });
              counts[String(record.difficulty)] = (counts[String(record.difficulty)] ?? 0) + 1;
            }
          }
          return summary;
        },
      }),
    }),
  ],
});
