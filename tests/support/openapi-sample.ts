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

/** A place inside a JSON body: keys and array indexes from the root. */
export type BodyPath = string[];

/**
 * Every place in a body schema that holds text, in every variant of a union, optional or not:
 * properties by name, array items at index 0, a record's values under the key `k`.
 */
export function stringPaths(doc: OpenApiDoc, raw: Schema, at: BodyPath = [], depth = 0): BodyPath[] {
  const schema = resolve(doc, raw);
  if (!schema || depth > 8) return [];
  const variants = schema.oneOf ?? schema.anyOf ?? schema.allOf;
  if (variants) {
    const all = variants.flatMap((v: Schema) => stringPaths(doc, v, at, depth + 1));
    return [...new Map(all.map((p: BodyPath) => [p.join("."), p])).values()] as BodyPath[];
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes("string") && schema.format !== "binary") return [at];
  if (types.includes("array")) return stringPaths(doc, schema.items, [...at, "0"], depth + 1);
  if (types.includes("object") || schema.properties) {
    const out = Object.entries(schema.properties ?? {}).flatMap(([k, v]) =>
      stringPaths(doc, v, [...at, k], depth + 1)
    );
    const extra = schema.additionalProperties;
    if (extra && typeof extra === "object") out.push(...stringPaths(doc, extra, [...at, "k"], depth + 1));
    return out;
  }
  return [];
}

/**
 * Every object of a fixed shape in a body schema (the root included), in every variant: where an
 * unknown field can be tried. `strict` says whether the document marks it `additionalProperties: false`.
 */
export function objectPaths(
  doc: OpenApiDoc,
  raw: Schema,
  at: BodyPath = [],
  depth = 0,
): { path: BodyPath; strict: boolean }[] {
  const schema = resolve(doc, raw);
  if (!schema || depth > 8) return [];
  const variants = schema.oneOf ?? schema.anyOf ?? schema.allOf;
  if (variants) {
    const all = variants.flatMap((v: Schema) => objectPaths(doc, v, at, depth + 1));
    return [...new Map(all.map((p: { path: BodyPath }) => [p.path.join("."), p])).values()] as {
      path: BodyPath;
      strict: boolean;
    }[];
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes("array")) return objectPaths(doc, schema.items, [...at, "0"], depth + 1);
  if (!schema.properties) return [];
  return [
    { path: at, strict: schema.additionalProperties === false },
    ...Object.entries(schema.properties).flatMap(([k, v]) => objectPaths(doc, v, [...at, k], depth + 1)),
  ];
}

/** `value` with `leaf` put at `path`, making the objects and arrays on the way as needed. */
export function withValueAt(value: unknown, path: BodyPath, leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path;
  if (/^\d+$/.test(head)) {
    const arr = Array.isArray(value) ? [...value] : [];
    arr[Number(head)] = withValueAt(arr[Number(head)], rest, leaf);
    return arr;
  }
  const obj = value !== null && typeof value === "object" && !Array.isArray(value)
    ? { ...value as Record<string, unknown> }
    : {};
  obj[head] = withValueAt(obj[head], rest, leaf);
  return obj;
}
