/**
 * The text of the `pipeline.config.ts` that `pipeline init` writes: requests → batch → merge over
 * the user's files, with a prompt naming a real text field, commented so it can be edited at once.
 */
import path from 'node:path';
import { describeFormat, type SourceFormat } from '../sources/format.ts';

export interface ScaffoldChoices {
  /** The rules' first input (relative to the config), with `{wildcard}` when there are many files. */
  sourcePattern: string;
  /** The wildcard's name, when the pattern has one. */
  wildcard: string | undefined;
  format: SourceFormat;
  idField: string;
  textField: string;
  /** Where the model's reply and its token counts go in each merged record. */
  outputField: string;
  tokensField: string;
  /** The module the config imports the API from (the package's name). */
  importFrom: string;
  model: string;
}

export function renderConfig(c: ScaffoldChoices): string {
  // Outputs are named like their source file: `data/part-{file}.csv` → `out/merged/part-{file}.jsonl`.
  const stem = path.posix.basename(c.sourcePattern).replace(/\.[^.]*$/, '');
  const customId = c.wildcard ? `{${c.wildcard}}-{${c.idField}}` : `{${c.idField}}`;
  const q = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `/**
 * Written by \`pipeline init\` for ${c.sourcePattern} (${describeFormat(c.format)}).
 * Per source file: one request per record → the OpenAI Batch API (half price) → each record with
 * the model's reply in "${c.outputField}".
 *
 *   npx pipeline build -n                 what would be sent, and what it would cost
 *   npx pipeline build --offline --wait   a free run on the built-in Batch API emulator
 *   npx pipeline build                    the real run (needs OPENAI_API_KEY; run it again until done)
 */
import { batch, definePipeline, merge, requests, rule } from ${q(c.importFrom)};

/** A record's key: present and unique in every record, and the same from one run to the next. */
const ID_FIELD = ${q(c.idField)};
/** Names each request after its record, so results are joined back to the right record. */
const CUSTOM_ID = ${q(customId)};

export default definePipeline({
  rules: [
    rule({
      name: 'requests',
      description: 'one chat-completions request per record',
      inputs: [${q(c.sourcePattern)}],
      output: ${q(`out/requests/${stem}.jsonl`)},
      stage: requests({
        model: ${q(c.model)},
        // Say what the model should do with each record; {field} is replaced by the record's field.
        prompt: [
          'Rewrite the following text in plain, clear English, keeping its meaning.',
          'Reply with the rewritten text only.',
          '',
          '<text>',
          ${q(`{${c.textField}}`)},
          '</text>',
        ].join('\\n'),
        params: { max_tokens: 1024 },
        idField: ID_FIELD,
        customId: CUSTOM_ID,
      }),
    }),
    rule({
      name: 'batch',
      description: 'submit the requests to the Batch API, poll, download the results',
      inputs: [${q(`out/requests/${stem}.jsonl`)}],
      output: ${q(`out/results/${stem}.jsonl`)},
      marker: ${q(`out/batches/${stem}.batch.json`)},
      stage: batch(),
    }),
    rule({
      name: 'merge',
      description: 'each record with the reply to its request',
      inputs: [${q(c.sourcePattern)}, ${q(`out/results/${stem}.jsonl`)}],
      output: ${q(`out/merged/${stem}.jsonl`)},
      stage: merge({
        idField: ID_FIELD,
        customId: CUSTOM_ID,
        outputField: ${q(c.outputField)},
        tokensField: ${q(c.tokensField)},
      }),
    }),
  ],
});
`;
}
