/**
 * Builds a value that satisfies a JSON Schema of our OpenAPI document: the example where the
 * schema gives one, else the simplest value of its type and format. The security sweep uses it so
 * that a request fails for the reason under test (auth, tenant), not for its body.
 */
// deno-lint-ignore no-explicit-any
type Schema = any;

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  "x-pytake-access"?: { permission?: string; user?: true; public?: true; signature?: string };
}

export function resolve(doc: OpenApiDoc, schema: Schema): Schema {
  if (schema?.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    return resolve(doc, doc.components!.schemas![name]);
  }
  return schema;
}

export function sample(doc: OpenApiDoc, raw: Schema, depth = 0): unknown {
  const schema = resolve(doc, raw);
  if (!schema || depth > 8) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) {
    return sample(
      doc,
      variants.find((v: Schema) => resolve(doc, v)?.type !== "null") ?? variants[0],
      depth + 1,
    );
  }
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s: Schema) => sample(doc, s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      // Required properties always; optional ones only where the document gives an example, so
      // a sample does not combine options the route refuses together.
      const required = new Set<string>(schema.required ?? []);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) {
        const r = resolve(doc, v);
        if (required.has(k) || r?.example !== undefined || r?.default !== undefined) {
          out[k] = sample(doc, v, depth + 1);
        }
      }
      return out;
    }
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(doc, schema.items, depth + 1));
    case "integer":
    case "number":
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case "boolean":
      return true;
    case "string":
      switch (schema.format) {
        case "uuid":
          return crypto.randomUUID();
        case "email":
          return `sample.${crypto.randomUUID().slice(0, 8)}@example.com`;
        case "date-time":
          return new Date(Date.now() + 86_400_000).toISOString();
        case "date":
          return new Date().toISOString().slice(0, 10);
        case "uri":
        case "url":
          return "https://example.com/hook";
      }
      return "x".repeat(Math.max(schema.minLength ?? 1, 8)).slice(0, schema.maxLength ?? 64);
  }
  return null;
}

/** The path with its parameters filled: `{id}` from `ids` when given, else a sample. */
export function fillPath(
  doc: OpenApiDoc,
  path: string,
  op: Operation,
  ids: Record<string, string> = {},
): string {
  return path.replace(/\{(\w+)\}/g, (_, name) => {
    if (ids[name]) return ids[name];
    const param = op.parameters?.find((p) => p.in === "path" && p.name === name);
    return encodeURIComponent(String(sample(doc, param?.schema ?? { type: "string" })));
  });
}

export function sampleBody(doc: OpenApiDoc, op: Operation): string | undefined {
  const json = op.requestBody?.content["application/json"];
  return json ? JSON.stringify(sample(doc, json.schema)) : undefined;
}

export function operations(doc: OpenApiDoc): { method: string; path: string; op: Operation }[] {
  const out = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (["get", "post", "put", "patch", "delete"].includes(method)) out.push({ method, path, op });
    }
  }
  return out;
}
