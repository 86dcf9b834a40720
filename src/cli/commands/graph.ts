/** `pipeline graph`: the target graph as DOT (Graphviz) or Mermaid. */
import { withDependencies } from '../../engine/build.ts';
import { drawGraph } from '../../graph/drawing.ts';
import { stringOption, type Command } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';
import { reportUsageError } from '../errors.ts';
import { UsageError } from '../project.ts';
import { projectAndTargets } from '../targets.ts';

export const graphCommand: Command = {
  name: 'graph',
  summary: COMMAND_SUMMARIES.graph,
  usage: 'graph [targets...] [--format dot|mermaid]',
  options: { format: { type: 'string', value: 'dot|mermaid', description: 'output format (default: dot)' } },
  notes: 'Example: pipeline graph --format dot | dot -Tsvg > graph.svg',
  async run(args, io) {
    const format = stringOption(args, 'format') ?? 'dot';
    if (format !== 'dot' && format !== 'mermaid')
      return reportUsageError(io.stderr, new UsageError(`unknown --format '${format}'`, ['use dot or mermaid']));
    const selected = await projectAndTargets(args, io);
    if (typeof selected === 'number') return selected;
    const { graph } = selected.project;
    const { nodes, edges } = drawGraph(graph, withDependencies(graph, selected.requested));
    const names = new Map(nodes.map((n, i) => [n.id, `n${i}`]));
    if (format === 'dot') {
      const lines = ['digraph pipeline {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
      for (const n of nodes)
        lines.push(`  ${names.get(n.id)} [label=${JSON.stringify(n.id)}${n.source ? ', style=dashed' : ''}];`);
      for (const { from, to, rule } of edges)
        lines.push(`  ${names.get(from)} -> ${names.get(to)} [label=${JSON.stringify(rule)}];`);
      lines.push('}');
      io.stdout.write(`${lines.join('\n')}\n`);
    } else {
      const lines = ['flowchart LR'];
      for (const n of nodes) lines.push(`  ${names.get(n.id)}[${JSON.stringify(n.id)}]`);
      for (const { from, to, rule } of edges) lines.push(`  ${names.get(from)} -->|${rule}| ${names.get(to)}`);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  },
};
