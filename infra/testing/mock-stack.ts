import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Runs sst.config.ts under Pulumi's mocks, offline: SST's platform (installed into .sst/platform
 * by scripts/services/install-sst-platform.sh) provides the components and the one @pulumi/pulumi
 * instance they register with; this harness supplies what the sst CLI would (the `$` globals, and
 * the two RPCs components make: the bootstrap bucket and a function build) and records every
 * resource, data-source call and function build.
 */
type Pulumi = typeof import("../../.sst/platform/node_modules/@pulumi/pulumi");

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PLATFORM = path.join(ROOT, ".sst/platform");
export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

/**
 * The versions this harness runs against: SST (pinned exactly in package.json) fixes its platform's
 * @pulumi/* packages, installed from the platform's own lockfile.
 */
export function platformVersions(): { sst: string; pulumi: string; aws: string } {
  const version = (file: string) => (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  return {
    sst: readFileSync(path.join(PLATFORM, "version"), "utf8").trim(),
    pulumi: version(path.join(PLATFORM, "node_modules/@pulumi/pulumi/package.json")),
    aws: version(path.join(PLATFORM, "node_modules/@pulumi/aws/package.json")),
  };
}

export interface MockResource {
  readonly type: string;
  readonly name: string;
  /** The inputs with Pulumi's secret wrappers removed. */
  readonly inputs: Record<string, any>;
  /** Top-level input names whose value is (or holds) a Pulumi secret. */
  readonly secretInputs: string[];
  readonly state: Record<string, any>;
}

/** Pulumi's wire marker of a secret value, as mocks receive it. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
}

function unwrap(value: unknown): any {
  if (isSecret(value)) return unwrap(value.value);
  if (Array.isArray(value)) return value.map(unwrap);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  return value;
}

function holdsSecret(value: unknown): boolean {
  if (isSecret(value)) return true;
  if (typeof value === "object" && value !== null) return Object.values(value).some(holdsSecret);
  return false;
}

export interface FunctionBuild {
  readonly functionID: string;
  readonly handler: string;
  readonly out: string;
  readonly input: Record<string, any>;
}

export interface MockStack {
  readonly resources: MockResource[];
  readonly builds: FunctionBuild[];
  readonly outputs: Record<string, unknown>;
  /** The one resource of a type and logical name; throws when absent, naming what exists. */
  one(type: string, name: string): MockResource;
  ofType(type: string): MockResource[];
}

/** Statements of a getPolicyDocument call, rendered as IAM JSON the way AWS's provider does. */
function policyJson(inputs: Record<string, any>): string {
  const statements = (inputs.statements ?? []).map((s: any) => ({
    Effect: s.effect ?? "Allow",
    Action: s.actions,
    Resource: s.resources,
    ...(s.principals ? { Principal: Object.fromEntries(s.principals.map((p: any) => [p.type, p.identifiers])) } : {}),
    ...(s.conditions ? { Condition: Object.fromEntries(s.conditions.map((c: any) => [c.test, { [c.variable]: c.values }])) } : {}),
  }));
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Provider-computed attributes the stack reads (names, ARNs, hosts): deterministic per name. */
function computed(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const physical = inputs.name ?? `${name}-physical`;
  const [, module = "", kind = ""] = type.split(":");
  const service = module.split("/")[0];
  const base = { ...inputs, name: physical, arn: `arn:aws:${service}:${REGION}:${ACCOUNT}:${kind.toLowerCase()}/${physical}` };
  switch (type) {
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      const bucket = inputs.bucket ?? `${name.toLowerCase()}-bucket`;
      return { ...base, bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:lambda/function:Function":
      return { ...base, arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical}`, invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/${physical}` };
    case "aws:lambda/functionUrl:FunctionUrl":
      return { ...base, functionUrl: `https://${name.toLowerCase()}.lambda-url.${REGION}.on.aws/` };
    case "aws:rds/cluster:Cluster":
      return {
        ...base,
        // As AWS spells them: cluster:ID (the Data API's resourceArn), not cluster/ID.
        arn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${inputs.clusterIdentifier ?? name.toLowerCase()}`,
        endpoint: `${name.toLowerCase()}.cluster-mock.${REGION}.rds.amazonaws.com`,
        readerEndpoint: `${name.toLowerCase()}.cluster-ro-mock.${REGION}.rds.amazonaws.com`,
        port: 5432,
      };
    case "aws:secretsmanager/secret:Secret":
      // secret:NAME-XXXXXX: AWS appends six random characters to the name.
      return { ...base, arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${inputs.name ?? name}-AbCdEf` };
    case "aws:rds/clusterInstance:ClusterInstance":
      return { ...base, port: 5432 };
    case "random:index/randomPassword:RandomPassword":
      // Characters that must be escaped in a URL, to prove the connection string escapes them.
      return { ...base, result: "p@ss:w/rd%mock" };
    case "random:index/randomBytes:RandomBytes":
      return { ...base, base64: Buffer.alloc(inputs.length ?? 32, 7).toString("base64"), hex: Buffer.alloc(inputs.length ?? 32, 7).toString("hex") };
    case "aws:rds/instance:Instance":
      return { ...base, address: `${name.toLowerCase()}.mock.${REGION}.rds.amazonaws.com`, endpoint: `${name.toLowerCase()}.mock.${REGION}.rds.amazonaws.com:5432`, port: 5432 };
    case "aws:sagemaker/endpoint:Endpoint":
      return { ...base, arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${physical.toLowerCase()}` };
    case "aws:iam/role:Role":
      return { ...base, arn: `arn:aws:iam::${ACCOUNT}:role/${physical}` };
    case "aws:ec2/vpc:Vpc":
      return { ...base, cidrBlock: inputs.cidrBlock ?? "10.0.0.0/16" };
    default:
      return base;
  }
}

function calls(token: string, inputs: Record<string, any>): Record<string, any> {
  switch (token) {
    case "aws:index/getRegion:getRegion":
      return { id: REGION, name: REGION, region: REGION };
    case "aws:index/getPartition:getPartition":
      return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { id: ACCOUNT, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci`, userId: "AIDMOCK" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return { id: REGION, names: [`${REGION}a`, `${REGION}b`, `${REGION}c`], zoneIds: ["use1-az1", "use1-az2", "use1-az4"] };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      // As the provider: an empty statement list comes back absent (SST then adds no inline policy).
      return { id: "policy", statements: inputs.statements?.length ? inputs.statements : undefined, json: policyJson(inputs), minifiedJson: policyJson(inputs) };
    default:
      return inputs;
  }
}

/**
 * The sst CLI's RPC server, as far as the stack uses it: the bootstrap bucket for function code,
 * and a function build that lays out what `nodejs.install` would install (a fake onnxruntime-node
 * with every platform's folder) so the postbuild hook runs on a realistic tree.
 */
function startRpc(work: string, builds: FunctionBuild[]): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const { method, params } = JSON.parse(body) as { method: string; params: [Record<string, any>] };
      const input = params[0];
      let result: unknown;
      try {
        if (method === "Provider.Aws.Bootstrap") {
          result = {
            asset: "sst-asset-mock",
            assetEcrRegistryId: ACCOUNT,
            assetEcrUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/sst-asset`,
            state: "sst-state-mock",
            appsyncHttp: "",
            appsyncRealtime: "",
          };
        } else if (method === "Runtime.Build") {
          const out = path.join(work, "artifacts", `${input.functionID}-src`);
          const handlerFile = path.join(out, `${input.handler.slice(0, input.handler.lastIndexOf("."))}.mjs`);
          mkdirSync(path.dirname(handlerFile), { recursive: true });
          writeFileSync(handlerFile, "export const handler = async () => ({});\n");
          // SST normalises `nodejs.install` to { package: version }.
          for (const pkg of Object.keys(input.properties?.install ?? {})) {
            if (pkg !== "onnxruntime-node") continue;
            for (const dir of ["darwin/arm64", "linux/arm64", "linux/x64", "win32/x64"]) {
              const full = path.join(out, "node_modules/onnxruntime-node/bin/napi-v6", dir);
              mkdirSync(full, { recursive: true });
              writeFileSync(path.join(full, "onnxruntime_binding.node"), Buffer.alloc(1000));
            }
            writeFileSync(path.join(out, "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so"), Buffer.alloc(5000));
          }
          builds.push({ functionID: input.functionID, handler: input.handler, out, input });
          result = { handler: input.handler, out, errors: [], sourcemaps: [] };
        } else {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ error: `rpc: can't find method ${method}` }));
          return;
        }
      } catch (error) {
        // Answer with the error: the component then fails the run instead of waiting forever.
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ error: `mock ${method}: ${(error as Error).stack}` }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ result }));
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function resolved(pulumi: Pulumi, value: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve) => pulumi.output(value).apply((v) => resolve(v as Record<string, unknown>)));
}

/** A run that failed, with what it had created by then. */
export class StackRunError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly resources: MockResource[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Evaluates the stack for `stage` with `env` set (deploy-time settings and `SST_SECRET_*`), once
 * per process (Pulumi's runtime is process-wide: vitest runs each test file in its own fork).
 */
export async function runStack(stage: string, env: Record<string, string>): Promise<MockStack> {
  const require = createRequire(path.join(PLATFORM, "package.json"));
  const pulumi = require("@pulumi/pulumi") as Pulumi;
  const work = mkdtempSync(path.join(tmpdir(), "semla-sst-"));
  Object.assign(process.env, env);

  const resources: MockResource[] = [];
  const builds: FunctionBuild[] = [];
  const server = await startRpc(work, builds);
  const address = server.address() as { port: number };
  process.env.SST_SERVER = `http://127.0.0.1:${address.port}`;

  try {
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          const inputs = unwrap(args.inputs) as Record<string, any>;
          const state = computed(args.type, args.name, inputs);
          const secretInputs = Object.keys(args.inputs).filter((key) => holdsSecret(args.inputs[key]));
          resources.push({ type: args.type, name: args.name, inputs, secretInputs, state });
          return { id: `${args.name}-id`, state };
        },
        call: (args) => calls(args.token, unwrap(args.inputs)),
      },
      "semla-serve",
      stage,
      false,
    );

    const app = { name: "semla-serve", stage, removal: stage === "production" ? "retain" : "remove", providers: { aws: {} }, protect: stage === "production" };
    // Component modules read $app and $cli at import time: set them first.
    Object.assign(globalThis, {
      $app: app,
      $dev: false,
      $cli: { command: "deploy", rpc: process.env.SST_SERVER, paths: { home: work, root: ROOT, work, platform: PLATFORM }, state: { version: {} } },
    });
    const shim = (await import(pathToFileURL(path.join(PLATFORM, "src/shim/run.js")).href)) as Record<string, unknown>;
    Object.assign(globalThis, shim, {
      sst: await import(pathToFileURL(path.join(PLATFORM, "src/components/index.ts")).href),
      aws: require("@pulumi/aws"),
      // The CLI evaluates sst.config.ts with $config as the identity.
      $config: (config: unknown) => config,
    });

    const config = (await import(pathToFileURL(path.join(ROOT, "sst.config.ts")).href)).default as { run(): Promise<Record<string, unknown>> };
    // A failure inside an apply() never settles the outputs that depend on it: Pulumi reports it
    // as an unhandled rejection, which ends the run here with that error.
    let fail: (error: unknown) => void = () => {};
    const failed = new Promise<never>((_, reject) => (fail = reject));
    process.on("unhandledRejection", fail);
    let outputs: Record<string, unknown>;
    try {
      outputs = await Promise.race([
        (async () => {
          const result = await resolved(pulumi, await config.run());
          await pulumi.runtime.disconnect();
          return result;
        })(),
        failed,
      ]);
    } catch (error) {
      throw new StackRunError(error, resources);
    } finally {
      process.off("unhandledRejection", fail);
    }

    const ofType = (type: string) => resources.filter((r) => r.type === type);
    return {
      resources,
      builds,
      outputs,
      ofType,
      one(type, name) {
        const found = resources.filter((r) => r.type === type && r.name === name);
        if (found.length !== 1) {
          throw new Error(
            `expected one ${type} named ${name}, found ${found.length}; of that type: ${
              ofType(type)
                .map((r) => r.name)
                .join(", ") || "none"
            }`,
          );
        }
        return found[0]!;
      },
    };
  } finally {
    // Not closed: after a failed run, components may still be calling; the fork's exit ends it.
    server.unref();
  }
}
