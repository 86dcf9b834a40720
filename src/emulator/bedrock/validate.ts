/**
 * CreateModelInvocationJob's request checked as the API model constrains it (lengths, patterns,
 * ranges from botocore's service model), every violation reported in one ValidationException as
 * AWS does. Only the shape is checked here: S3 access, the `.jsonl` files and the record quotas are
 * the job's `Validating` phase (input.ts), as Bedrock documents.
 */
import { isRecord } from '../http.ts';
import { BedrockError, validationError, type Violation } from './errors.ts';
import { MODEL_ID_PATTERN, modelRef, type ModelRef } from './models.ts';
import { DEFAULT_TIMEOUT_HOURS } from './options.ts';
import type { InvocationType } from './types.ts';

const JOB_NAME = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const S3_URI = /^s3:\/\/[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9](\/.*)?$/;
const TOKEN = /^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$/;
const INVOCATION_TYPES: readonly InvocationType[] = ['Converse', 'InvokeModel'];

export interface CreateRequest {
  jobName: string;
  roleArn: string;
  modelId: string;
  model: ModelRef;
  inputS3Uri: string;
  inputBucketOwner?: string;
  outputS3Uri: string;
  outputKmsKeyId?: string;
  outputBucketOwner?: string;
  clientRequestToken: string | undefined;
  timeoutHours: number;
  invocationType: InvocationType;
  vpcConfig?: { subnetIds: string[]; securityGroupIds: string[] };
}

const pattern = (re: RegExp) => `Member must satisfy regular expression pattern: ${re.source}`;

function checkString(
  violations: Violation[],
  field: string,
  value: unknown,
  re: RegExp,
  max: number,
  required = true,
): void {
  if (value === undefined || value === null) {
    if (required) violations.push({ field, value, constraint: 'Member must not be null' });
    return;
  }
  if (typeof value !== 'string') violations.push({ field, value, constraint: 'Member must be a string' });
  else if (value.length > max)
    violations.push({ field, value, constraint: `Member must have length less than or equal to ${max}` });
  else if (!re.test(value)) violations.push({ field, value, constraint: pattern(re) });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function parseCreate(body: unknown): CreateRequest {
  if (!isRecord(body)) throw new BedrockError('ValidationException', 'The request body must be a JSON object.');
  const input = isRecord(body.inputDataConfig) ? body.inputDataConfig.s3InputDataConfig : undefined;
  const output = isRecord(body.outputDataConfig) ? body.outputDataConfig.s3OutputDataConfig : undefined;
  const v: Violation[] = [];
  checkString(v, 'jobName', body.jobName, JOB_NAME, 63);
  checkString(v, 'roleArn', body.roleArn, ROLE_ARN, 2048);
  checkString(v, 'modelId', body.modelId, MODEL_ID_PATTERN, 2048);
  checkString(v, 'inputDataConfig.s3InputDataConfig.s3Uri', isRecord(input) ? input.s3Uri : undefined, S3_URI, 1024);
  checkString(
    v,
    'outputDataConfig.s3OutputDataConfig.s3Uri',
    isRecord(output) ? output.s3Uri : undefined,
    S3_URI,
    1024,
  );
  checkString(v, 'clientRequestToken', body.clientRequestToken, TOKEN, 256, false);
  if (isRecord(input) && input.s3InputFormat !== undefined && input.s3InputFormat !== 'JSONL')
    v.push({
      field: 'inputDataConfig.s3InputDataConfig.s3InputFormat',
      value: input.s3InputFormat,
      constraint: 'Member must satisfy enum value set: [JSONL]',
    });
  const timeout = body.timeoutDurationInHours;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout)))
    v.push({ field: 'timeoutDurationInHours', value: timeout, constraint: 'Member must be an integer' });
  else if (typeof timeout === 'number' && timeout < 24)
    v.push({
      field: 'timeoutDurationInHours',
      value: timeout,
      constraint: 'Member must have value greater than or equal to 24',
    });
  else if (typeof timeout === 'number' && timeout > 168)
    v.push({
      field: 'timeoutDurationInHours',
      value: timeout,
      constraint: 'Member must have value less than or equal to 168',
    });
  const type = body.modelInvocationType ?? 'InvokeModel';
  if (!INVOCATION_TYPES.includes(type as InvocationType))
    v.push({
      field: 'modelInvocationType',
      value: type,
      constraint: `Member must satisfy enum value set: [${INVOCATION_TYPES.join(', ')}]`,
    });
  if (v.length > 0) throw validationError(v);
  const model = modelRef(body.modelId as string);
  if (!model) throw new BedrockError('ValidationException', 'The provided model identifier is invalid.');
  const vpc = isRecord(body.vpcConfig) ? body.vpcConfig : undefined;
  const inCfg = input as Record<string, unknown>;
  const outCfg = output as Record<string, unknown>;
  return {
    jobName: body.jobName as string,
    roleArn: body.roleArn as string,
    modelId: body.modelId as string,
    model,
    inputS3Uri: inCfg.s3Uri as string,
    outputS3Uri: outCfg.s3Uri as string,
    clientRequestToken: str(body.clientRequestToken),
    timeoutHours: typeof timeout === 'number' ? timeout : DEFAULT_TIMEOUT_HOURS,
    invocationType: type as InvocationType,
    ...(str(inCfg.s3BucketOwner) ? { inputBucketOwner: str(inCfg.s3BucketOwner) } : {}),
    ...(str(outCfg.s3EncryptionKeyId) ? { outputKmsKeyId: str(outCfg.s3EncryptionKeyId) } : {}),
    ...(str(outCfg.s3BucketOwner) ? { outputBucketOwner: str(outCfg.s3BucketOwner) } : {}),
    ...(vpc
      ? {
          vpcConfig: {
            subnetIds: Array.isArray(vpc.subnetIds) ? vpc.subnetIds.map(String) : [],
            securityGroupIds: Array.isArray(vpc.securityGroupIds) ? vpc.securityGroupIds.map(String) : [],
          },
        }
      : {}),
  };
}

/** `s3://bucket/key` → its parts (the URI is already pattern-checked). */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  return slash === -1 ? { bucket: rest, key: '' } : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}
