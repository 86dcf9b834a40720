/**
 * Which model a job's `modelId` names and which body its records take. Accepted forms: a base
 * model id (`anthropic.claude-3-5-haiku-20241022-v1:0`), a cross-Region inference profile
 * (`us.anthropic.claude-…`, `global.…`), and their ARNs (`…:foundation-model/…`,
 * `…:inference-profile/…`). Served families: Anthropic Claude (Messages body with
 * `anthropic_version: "bedrock-2023-05-31"`) and Amazon Nova (`messages` with `inferenceConfig`);
 * any other id is refused at create, as Bedrock refuses a model it does not have.
 */
export type ModelFamily = 'anthropic' | 'nova';

export interface ModelRef {
  family: ModelFamily;
  /** The base model id, without ARN or Region prefix: jobs on one base model share its quota. */
  base: string;
  /** The name the model answers as (`claude-3-5-haiku-20241022`, `amazon.nova-lite-v1:0`). */
  name: string;
}

const ARN = /^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(\d{12})?:(foundation-model|inference-profile)\/(.+)$/;
const PROFILE_PREFIX = /^(us|eu|apac|ap|ca|jp|au|us-gov|global)\./;

export function modelRef(modelId: string): ModelRef | null {
  const id = ARN.exec(modelId)?.[4] ?? modelId;
  const base = id.replace(PROFILE_PREFIX, '');
  if (/^anthropic\.claude-[a-z0-9.-]+(-v\d+(:\d+)?)?$/.test(base))
    return { family: 'anthropic', base, name: base.replace(/^anthropic\./, '').replace(/-v\d+(:\d+)?$/, '') };
  if (/^amazon\.nova-[a-z0-9-]+(-v\d+(:\d+)?)?$/.test(base)) return { family: 'nova', base, name: base };
  return null;
}

/** The ARN/id pattern of the API model (ModelInvocationJobSummary.modelId), for create-time validation. */
export const MODEL_ID_PATTERN =
  /^(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model\/[a-z0-9-]{1,63}[.]{1}[a-z0-9-:]{1,63}\/[a-z0-9]{12})|(:foundation-model\/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|([0-9]{12}:(inference-profile|application-inference-profile)\/[a-zA-Z0-9-:.]+)))$|^([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})$|^(([0-9a-zA-Z][_-]?)+)$/;
