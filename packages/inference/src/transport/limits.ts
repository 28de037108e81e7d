/**
 * SageMaker real-time invocations carry at most 6 MB. Counted in decimal megabytes, the stricter
 * reading of the documented limit, so a body that passes here is never refused there.
 */
export const SAGEMAKER_PAYLOAD_LIMIT_BYTES = 6_000_000;
