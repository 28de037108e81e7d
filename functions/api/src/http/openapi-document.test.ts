import { describe, expect, it } from "vitest";
import { servedDocument } from "./openapi-document.js";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe("servedDocument: request schemas inline, components only where answers still name them", () => {
  const generated = {
    paths: {
      "/v1/things": {
        post: {
          parameters: [{ name: "limit", in: "query", schema: ref("Limit") }],
          requestBody: { content: { "application/json": { schema: ref("ThingRequest") } } },
          responses: { 200: { content: { "application/json": { schema: ref("Thing") } } } },
        },
      },
    },
    components: {
      schemas: {
        Limit: { type: "integer", default: 50 },
        ThingRequest: { type: "object", properties: { options: ref("Options"), tree: ref("Tree") } },
        Options: { type: "object", properties: { k: { type: "integer", default: 5 } } },
        Thing: { type: "object", properties: { options: ref("Options") } },
        Tree: { type: "object", properties: { children: { type: "array", items: ref("Tree") } } },
        Unused: { type: "string" },
      },
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };

  it("inlines a request body's and a parameter's schema, nested references included; a recursive one stays a reference once inside itself", () => {
    const served = servedDocument(generated);
    const operation = served.paths["/v1/things"].post;
    expect(operation.parameters[0]?.schema).toEqual({ type: "integer", default: 50 });
    expect(operation.requestBody.content["application/json"].schema).toEqual({
      type: "object",
      properties: { options: { type: "object", properties: { k: { type: "integer", default: 5 } } }, tree: { type: "object", properties: { children: { type: "array", items: ref("Tree") } } } },
    });
  });

  it("keeps what answers (and kept components) reference, drops the rest, and leaves the input as it was", () => {
    const before = structuredClone(generated);
    const served = servedDocument(generated);
    expect(Object.keys(served.components.schemas)).toEqual(["Options", "Thing", "Tree"]);
    expect(served.paths["/v1/things"].post.responses[200].content["application/json"].schema).toEqual(ref("Thing"));
    expect(served.components.securitySchemes).toEqual(generated.components.securitySchemes);
    expect(generated).toEqual(before);
  });
});
