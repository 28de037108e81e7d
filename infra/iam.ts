import { PREFIXES } from "./storage";

/**
 * Least-privilege statements for the functions: object actions on named key prefixes of the one
 * bucket, listing only under those prefixes, invoking only the stack's endpoint. No statement uses
 * a "*" resource (the tests check every statement of every role).
 */
export interface PrefixAccess {
  readonly read: readonly string[];
  readonly write: readonly string[];
  /** DeleteObject alone (the sweep removes objects, never writes them). */
  readonly remove?: readonly string[];
}

type Permission = {
  actions: string[];
  resources: $util.Input<$util.Input<string>[]>;
  conditions?: { test: string; variable: string; values: string[] }[];
};

/** Read: GetObject (+ HeadObject, which is GetObject in IAM). Write: Put, multipart abort, Delete. */
export function bucketPermissions(bucketArn: $util.Input<string>, access: PrefixAccess): Permission[] {
  const objects = (prefixes: readonly string[]) => prefixes.map((prefix) => $interpolate`${bucketArn}/${prefix}*`);
  const remove = access.remove ?? [];
  const listed = [...new Set([...access.read, ...access.write, ...remove])];
  const statements: Permission[] = [];
  if (access.read.length > 0) statements.push({ actions: ["s3:GetObject"], resources: objects(access.read) });
  if (access.write.length > 0) {
    statements.push({ actions: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"], resources: objects(access.write) });
  }
  if (remove.length > 0) statements.push({ actions: ["s3:DeleteObject"], resources: objects(remove) });
  if (listed.length > 0) {
    // ListBucket is a bucket-level action: the s3:prefix condition keeps it inside the prefixes.
    statements.push({
      actions: ["s3:ListBucket"],
      resources: [bucketArn],
      conditions: [{ test: "StringLike", variable: "s3:prefix", values: listed.map((prefix) => `${prefix}*`) }],
    });
  }
  return statements;
}

/** The API: the registry, caches and bank manifests read-write, the CLIP model read-only. */
export const API_BUCKET_ACCESS: PrefixAccess = {
  read: [PREFIXES.adapters, PREFIXES.fused, PREFIXES.banks, PREFIXES.uploads, PREFIXES.clipVision, PREFIXES.jobs, PREFIXES.tenants],
  write: [PREFIXES.adapters, PREFIXES.fused, PREFIXES.banks, PREFIXES.uploads, PREFIXES.jobs],
};

/** The scheduled sweep: lists adapters/ and deletes the objects no row references (and those of stale pending rows). */
export const SWEEPER_BUCKET_ACCESS: PrefixAccess = {
  read: [],
  write: [],
  remove: [PREFIXES.adapters],
};

/** The endpoint: adapters and fused adapters by reference, bank manifests, its own model artifacts; nothing written. */
export const ENDPOINT_BUCKET_ACCESS: PrefixAccess = {
  read: [PREFIXES.adapters, PREFIXES.fused, PREFIXES.banks, PREFIXES.endpointModel],
  write: [],
};

/**
 * The jobs' endpoint (same role, SageMaker Asynchronous Inference): also the invocations' inputs
 * under jobs/, and it writes the answers and failures under the config's output and failure paths.
 */
export const JOBS_ENDPOINT_BUCKET_ACCESS: PrefixAccess = {
  read: [...ENDPOINT_BUCKET_ACCESS.read, PREFIXES.jobs],
  write: [PREFIXES.jobsOutput, PREFIXES.jobsFailures],
};

/** InvokeEndpointAsync on the jobs' endpoint alone (it names no inference component). */
export function invokeEndpointAsyncPermission(endpointArn: $util.Input<string>): Permission {
  return { actions: ["sagemaker:InvokeEndpointAsync"], resources: [endpointArn] };
}

/** InvokeEndpoint names the endpoint and, for a request to an inference component, the component too. */
export function invokeEndpointPermission(endpointArn: $util.Input<string>, componentArn: $util.Input<string>): Permission {
  return { actions: ["sagemaker:InvokeEndpoint"], resources: [endpointArn, componentArn] };
}

/**
 * Aurora's Data API: the statement and transaction calls on the one cluster, and reading the one
 * secret the Data API takes the credentials from (the caller needs GetSecretValue on it itself).
 * No rds-data action is unscopable: every one names the cluster.
 */
export function dataApiPermissions(clusterArn: $util.Input<string>, secretArn: $util.Input<string>): Permission[] {
  return [
    {
      actions: ["rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement", "rds-data:BeginTransaction", "rds-data:CommitTransaction", "rds-data:RollbackTransaction"],
      resources: [clusterArn],
    },
    { actions: ["secretsmanager:GetSecretValue"], resources: [secretArn] },
  ];
}

/**
 * SST's function roles also trust the account's root (so `sst dev` can assume them); a deployed
 * function's role is assumed by Lambda alone.
 */
export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** A `transform.role` of sst.aws.Function: keeps SST's role, replaces its trust policy. */
export const lambdaOnlyTrust = { assumeRolePolicy: LAMBDA_TRUST_POLICY } satisfies Partial<aws.iam.RoleArgs>;
