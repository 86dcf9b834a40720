/** `pipeline watch`: placeholder until the watch loop lands. */
import type { Command } from '../command.ts';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Rebuild when sources or the config change; poll pending batches.',
  usage: 'watch [targets...] [options]',
  options: {},
  run(_args, io) {
    io.stderr.write('pipeline watch: not available yet\n');
    return Promise.resolve(2);
  },
};
