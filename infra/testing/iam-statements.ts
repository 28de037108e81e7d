import type { MockStack } from "./mock-stack";

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string[]>>;
}

/** Every permission statement of the stack: function roles' inline policies and role policies. */
export function allStatements(stack: MockStack): { owner: string; statement: Statement }[] {
  const documents: { owner: string; json: string }[] = [
    ...stack.ofType("aws:iam/role:Role").flatMap((role) => ((role.inputs.inlinePolicies ?? []) as { policy: string }[]).map((p) => ({ owner: role.name, json: p.policy }))),
    ...stack.ofType("aws:iam/rolePolicy:RolePolicy").map((policy) => ({ owner: policy.name, json: policy.inputs.policy as string })),
  ];
  return documents.flatMap(({ owner, json }) => (JSON.parse(json) as { Statement: Statement[] }).Statement.map((statement) => ({ owner, statement })));
}

export const asList = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);
