/** `pipeline prices`: the built-in price table, with each model's source page and the date its rates were read. */
import { formatPriceRows, priceRows } from '../../report/price-list.ts';
import { PRICE_TABLE } from '../../tokens/price-table.ts';
import { systemClock } from '../../util/clock.ts';
import { flag, stringOption, type Command } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';
import { reportUsageError } from '../errors.ts';
import { UsageError } from '../project.ts';

export const pricesCommand: Command = {
  name: 'prices',
  summary: COMMAND_SUMMARIES.prices,
  usage: 'prices [--provider P] [--json]',
  options: {
    provider: { type: 'string', value: 'P', description: 'only the models of this provider (e.g. openai, anthropic)' },
    json: { type: 'boolean', description: 'one JSON array of models, rates per 1M tokens' },
  },
  notes: [
    'Standard and batch rates for every tier: input, cached input (prompt-cache reads), cache writes,',
    'output, and the long-context rates where a model has them. Needs no config.',
    "A rule's `pricing` overrides or adds models; its `deployments` prices a deployment as its model.",
  ].join('\n'),
  run(args, io) {
    const provider = stringOption(args, 'provider');
    const known = [...new Set(Object.values(PRICE_TABLE).map((e) => e.provider))];
    if (provider !== undefined && !known.includes(provider))
      return Promise.resolve(
        reportUsageError(
          io.stderr,
          new UsageError(`no prices for provider '${provider}'`, [`the table has: ${known.join(', ')}`]),
        ),
      );
    const rows = priceRows((io.clock ?? systemClock).now(), provider);
    io.stdout.write(flag(args, 'json') ? `${JSON.stringify(rows, null, 2)}\n` : formatPriceRows(rows));
    return Promise.resolve(0);
  },
};
