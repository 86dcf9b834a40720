/**
 * `pipeline init`: scaffold a `pipeline.config.ts` for the user's own dataset and say what was
 * found and chosen, then the commands to price and run it.
 */
import { scaffold, type ScaffoldReport } from '../../init/scaffold.ts';
import { PACKAGE_NAME } from '../../package-name.ts';
import { describeFormat } from '../../sources/format.ts';
import { DEFAULT_CONFIG_FILE } from '../../config/load.ts';
import { flag, stringOption, type Command } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';
import { EXIT_USAGE } from '../errors.ts';

export const initCommand: Command = {
  name: 'init',
  summary: COMMAND_SUMMARIES.init,
  usage: 'init [GLOB | FILE... | --from FILE] [--id FIELD] [--force]',
  options: {
    from: { type: 'string', value: 'FILE', description: 'the one dataset file to read (instead of a glob)' },
    id: { type: 'string', value: 'FIELD', description: 'the field that identifies a record (default: detected)' },
    force: { type: 'boolean', description: 'replace an existing config' },
  },
  notes: [
    'Reads the first records of the first file, lists their fields, picks the id field (present,',
    'unique, short) and the text for the prompt, and writes requests → batch → merge rules.',
    "Quote a glob ('data/*.csv') or let the shell expand it: the files must share a directory.",
  ].join('\n'),
  async run(args, io) {
    const from = stringOption(args, 'from');
    if (from !== undefined && args.positionals.length > 0) {
      io.stderr.write('pipeline init: give either --from FILE or a glob, not both\n');
      return EXIT_USAGE;
    }
    const idField = stringOption(args, 'id');
    const configFile = stringOption(args, 'config') ?? DEFAULT_CONFIG_FILE;
    const made = await scaffold({
      sources: from !== undefined ? [from] : args.positionals,
      ...(idField !== undefined ? { idField } : {}),
      force: flag(args, 'force'),
      cwd: io.cwd,
      configFile,
      importFrom: PACKAGE_NAME,
    });
    if (!made.ok) {
      io.stderr.write(`pipeline init: ${made.error}\nNothing was written.\n`);
      return EXIT_USAGE;
    }
    io.stdout.write(reportText(made.value));
    return 0;
  },
};

function reportText(r: ScaffoldReport): string {
  const width = Math.max(...r.fields.map((f) => f.name.length));
  const others = r.files.length > 1 ? ` (${r.files.length} files match ${r.sourcePattern})` : '';
  return [
    `Found ${describeFormat(r.format)}: ${r.sampled}${others}`,
    `Fields of its first ${r.records} record${r.records === 1 ? '' : 's'}:`,
    ...r.fields.map((f) => `  ${f.name.padEnd(width)}  ${f.description}`),
    ...r.problems.map((p) => `warning: ${r.sampled} ${p} (the build will refuse this file until it is fixed)`),
    `Id field: ${r.idField}${r.otherIdFields.length > 0 ? ` (also unique: ${r.otherIdFields.join(', ')}; choose with --id FIELD)` : ''}`,
    `Prompt text: {${r.textField}}; the reply goes to "${r.outputField}"`,
    `Wrote ${r.configFile}${r.gitignoreUpdated ? '; added .pipeline/ to .gitignore' : ''}. Edit the prompt, then:`,
    '',
    '  npx pipeline build -n                 what would be sent, and what it would cost',
    '  npx pipeline build --offline --wait   a free run on the built-in Batch API emulator',
    '  npx pipeline build                    the real run (needs OPENAI_API_KEY)',
    '',
  ].join('\n');
}
