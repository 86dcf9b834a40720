/**
 * A job's `Validating` phase: the input location (one `.jsonl` object, or a prefix holding
 * several) and the output bucket must be readable, every line a JSON object with a `modelInput`
 * (what is inside is not checked: providers.md I.1), and the files within the record and size
 * quotas. Inputs are snapshotted here (hard links), so the job reads what was validated even if
 * the objects are overwritten later. A problem is the job's failure `message`, worded by the
 * emulator (Bedrock's texts are not documented) but naming the file, line and quota concerned.
 */
import { readLines } from '../lines.ts';
import type { BedrockContext } from './context.ts';
import type { InputFile, JobRecord } from './types.ts';
import { parseS3Uri } from './validate.ts';

const gb = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 2)} GB`;

/** The input objects a job's `s3Uri` names, with the names their outputs get. */
function inputKeys(ctx: BedrockContext, bucket: string, key: string): { key: string; name: string }[] | string {
  const exact = key !== '' && !key.endsWith('/') ? ctx.s3.get(bucket, key) : undefined;
  if (exact) {
    if (!key.endsWith('.jsonl')) return `The input file s3://${bucket}/${key} is not a .jsonl file.`;
    return [{ key, name: key.slice(key.lastIndexOf('/') + 1) }];
  }
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  return ctx.s3
    .keys(bucket)
    .filter((k) => k.startsWith(prefix) && k.endsWith('.jsonl'))
    .map((k) => ({ key: k, name: k.slice(prefix.length) }));
}

/** Counts one snapshotted file's records, or says what is wrong with it. */
async function countRecords(file: string, uri: string): Promise<number | string> {
  let records = 0;
  for await (const { text, lineNo } of readLines(file)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return `The input file ${uri} is not valid JSONL: line ${lineNo} is not a JSON object.`;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return `The input file ${uri} is not valid JSONL: line ${lineNo} is not a JSON object.`;
    if (!('modelInput' in value))
      return `The input file ${uri} has a record without modelInput on line ${lineNo}: each record must be {"recordId": …, "modelInput": {…}}.`;
    records++;
  }
  return records;
}

/** Validates the job's input and output; fills `inputs` and `total`. Returns the failure message, or null. */
export async function validateJob(ctx: BedrockContext, job: JobRecord): Promise<string | null> {
  const q = ctx.quotas;
  const input = parseS3Uri(job.inputS3Uri);
  const output = parseS3Uri(job.outputS3Uri);
  for (const [what, loc] of [
    ['input', input],
    ['output', output],
  ] as const)
    if (!ctx.s3.bucket(loc.bucket))
      return `Unable to access the ${what} S3 location s3://${loc.bucket}/${loc.key}: the bucket ${loc.bucket} does not exist or the role ${job.roleArn} cannot access it.`;
  const keys = inputKeys(ctx, input.bucket, input.key);
  if (typeof keys === 'string') return keys;
  if (keys.length === 0) return `No .jsonl input files were found at ${job.inputS3Uri}.`;
  const inputs: InputFile[] = [];
  let bytes = 0;
  let total = 0;
  for (const [i, { key, name }] of keys.entries()) {
    const uri = `s3://${input.bucket}/${key}`;
    const snapshot = `input-${i}.jsonl`;
    const rec = await ctx.s3.snapshot(input.bucket, key, ctx.jobs.snapshotPath(job.id, snapshot));
    if (!rec) return `The input file ${uri} could not be read.`;
    if (rec.size > q.maxInputFileBytes)
      return `The input file ${uri} is ${rec.size} bytes, larger than the ${gb(q.maxInputFileBytes)} quota for a batch inference input file.`;
    bytes += rec.size;
    if (bytes > q.maxJobBytes)
      return `The input files of the job add up to more than the ${gb(q.maxJobBytes)} quota for a batch inference job.`;
    const records = await countRecords(ctx.jobs.snapshotPath(job.id, snapshot), uri);
    if (typeof records === 'string') return records;
    if (records > q.maxRecordsPerFile)
      return `The input file ${uri} has ${records} records, more than the maximum of ${q.maxRecordsPerFile} records per input file per batch inference job.`;
    total += records;
    inputs.push({ key, name, snapshot, records, bytes: rec.size, outBytes: 0 });
  }
  job.inputs = inputs;
  job.total = total;
  if (total > q.maxRecordsPerJob)
    return `The job has ${total} records, more than the maximum of ${q.maxRecordsPerJob} records per batch inference job.`;
  if (total < q.minRecordsPerJob)
    return `The job has ${total} records, fewer than the minimum of ${q.minRecordsPerJob} records per batch inference job. Add records until you reach the minimum.`;
  return null;
}
