/**
 * How many request-file bytes the batch stage's targets read at once within a build (a larger
 * file runs alone). A 50,000-line part's bookkeeping and tokenizer churn are tens of MB of heap
 * for ~100 MB of requests, so 64 MB keeps a 1M-request job near one file's memory, while the
 * MMLU job's files (a few hundred KB each) all submit side by side. Its own file: the registry
 * reads it on every command and must not load the stage's code.
 */
export const BATCH_INPUT_BYTES_AT_ONCE = 64 * 1024 * 1024;
