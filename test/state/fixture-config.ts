/**
 * The job of the state fixtures (test/state/fixtures/): per subject, requests → batch → merge, and
 * the same requests through an online rule, so one build writes every kind of state file: the
 * state log, a batch marker (ledger) and an online marker (journal) per subject, the request
 * cache of each remote target, the spend log and the learned provider limits. Plain objects, no
 * imports: the config is portable to wherever a test copies the fixture.
 */
export default {
  root: 'job',
  rules: [
    {
      name: 'requests',
      inputs: ['original/{subject}.jsonl'],
      output: 'requests/{subject}.jsonl',
      stage: {
        kind: 'requests',
        model: 'gpt-4.1',
        prompt: 'Paraphrase:\n{text}',
        params: { max_tokens: 256 },
        idField: 'id',
        customId: '{subject}-{id}',
      },
    },
    {
      name: 'batch',
      inputs: ['requests/{subject}.jsonl'],
      output: 'batch/{subject}.jsonl',
      marker: 'batch/{subject}.batch.json',
      stage: { kind: 'batch' },
    },
    {
      name: 'online',
      inputs: ['requests/{subject}.jsonl'],
      output: 'online/{subject}.jsonl',
      marker: 'online/{subject}.journal.jsonl',
      stage: { kind: 'online' },
    },
    {
      name: 'merge',
      inputs: ['original/{subject}.jsonl', 'batch/{subject}.jsonl'],
      output: 'merged/{subject}.jsonl',
      stage: { kind: 'merge', idField: 'id', customId: '{subject}-{id}' },
    },
  ],
};
