/**
 * The OpenAPI document as served, from the one the routes generate: request bodies and parameters
 * carry their schemas inline instead of as `$ref`s to named components. A field with a default is
 * optional in a request and always present in an answer; a named component cannot say both, and
 * generators read a component's `default` as "always present" (openapi-typescript with its default
 * flags types such a field as required, so a request that leaves it out does not compile). Inline,
 * under `requestBody`/`parameters`, the same schema reads as the request's. Components no longer
 * referenced (those only requests used) are dropped.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const REF = "#/components/schemas/";

const isObject = (value: Json | undefined): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** A copy of `schema` with every component reference replaced by the component (a recursive one stays a reference). */
function inlined(schema: Json, components: JsonObject, seen: readonly string[] = []): Json {
  if (Array.isArray(schema)) return schema.map((item) => inlined(item, components, seen));
  if (!isObject(schema)) return schema;
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith(REF)) {
    const name = ref.slice(REF.length);
    const target = components[name];
    if (target === undefined || seen.includes(name)) return schema;
    const { $ref: _, ...siblings } = schema;
    const body = inlined(target, components, [...seen, name]);
    return Object.keys(siblings).length === 0 ? body : { ...(isObject(body) ? body : {}), ...siblings };
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, inlined(value, components, seen)]));
}

/** The component names `value` references, directly. */
function referencedNames(value: Json, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencedNames(item, found);
  else if (isObject(value)) {
    if (typeof value.$ref === "string" && value.$ref.startsWith(REF)) found.add(value.$ref.slice(REF.length));
    for (const inner of Object.values(value)) referencedNames(inner, found);
  }
  return found;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

export function servedDocument<D extends object>(generated: D): D {
  const document = structuredClone(generated) as unknown as JsonObject;
  const components = isObject(document.components) ? document.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  for (const item of Object.values(isObject(document.paths) ? document.paths : {})) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      if (Array.isArray(operation.parameters)) {
        operation.parameters = operation.parameters.map((parameter) =>
          isObject(parameter) && parameter.schema !== undefined ? { ...parameter, schema: inlined(parameter.schema, schemas) } : parameter,
        );
      }
      const content = isObject(operation.requestBody) ? operation.requestBody.content : undefined;
      if (isObject(content)) {
        for (const media of Object.values(content)) if (isObject(media) && media.schema !== undefined) media.schema = inlined(media.schema, schemas);
      }
    }
  }
  // Keep the components still referenced from outside the schemas, and those they reference in turn.
  const { schemas: _, ...rest } = components;
  const used = referencedNames({ ...document, components: rest });
  const pending = [...used];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    for (const inner of referencedNames(schemas[name] ?? null)) {
      if (!used.has(inner)) {
        used.add(inner);
        pending.push(inner);
      }
    }
  }
  if (isObject(document.components)) {
    document.components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  }
  return document as unknown as D;
}
