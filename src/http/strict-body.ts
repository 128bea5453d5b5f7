import { z } from "@hono/zod-openapi";

type Schema = z.core.$ZodType;
type Def = z.core.$ZodTypeDef & Record<string, unknown>;

/**
 * THE RULE FOR JSON BODIES (applied by `defineRoute` to every `application/json` request body, so
 * route authors get it without asking): a field the schema does not declare is refused with a 422
 * naming it (`body.<field>`: "Received unknown parameter: <field>"), as Stripe does, instead of
 * being dropped in silence. A client that misspells `pasword`, or sends `password` to a route that
 * ignores it, learns so at once.
 *
 * - Every `z.object` of a fixed shape becomes strict, at any depth: inside arrays, unions,
 *   optionals, nullables, defaults and pipes, and as a record's values.
 * - Free-form maps stay open: `z.record(...)` keys, `z.unknown()`/`z.any()` values, and any object
 *   that already states its own catch-all (`z.looseObject({...})` to keep unknown keys,
 *   `z.object({...}).catchall(schema)` to check them). Use those where extra keys are the point
 *   (custom attributes, provider payloads, widget settings).
 * - The OpenAPI document says the same: strict objects render `additionalProperties: false`.
 *
 * The schema is rebuilt, never mutated (the same object may describe a response elsewhere), and
 * each rebuilt node keeps its original as parent, so its OpenAPI metadata (description, example,
 * component name) carries over.
 */
export function strictBody<T extends Schema>(schema: T): T {
  return strict(schema, new Map()) as T;
}

/** A copy of `s` with `def`; the original stays its parent, so its metadata is inherited. */
function rebuild(s: Schema, def: Def): Schema {
  const Ctor = s._zod.constr as unknown as new (def: Def) => Schema;
  const copy = new Ctor(def);
  copy._zod.parent = s;
  return copy;
}

function strict(s: Schema, done: Map<Schema, Schema>): Schema {
  const cached = done.get(s);
  if (cached) return cached;
  const out = strictNode(s, done);
  done.set(s, out);
  return out;
}

function strictNode(s: Schema, done: Map<Schema, Schema>): Schema {
  const def = s._zod.def as Def;
  const sub = (x: unknown) => strict(x as Schema, done);
  /** `s` with the children at `keys` made strict; `s` itself when none changed. */
  const withChildren = (keys: string[], extra: Partial<Def> = {}) => {
    const next: Record<string, unknown> = { ...extra };
    let changed = Object.keys(extra).length > 0;
    for (const k of keys) {
      if (def[k] === undefined) continue;
      next[k] = sub(def[k]);
      if (next[k] !== def[k]) changed = true;
    }
    return changed ? rebuild(s, { ...def, ...next }) : s;
  };
  switch (def.type) {
    case "object": {
      // An object with a catch-all of its own (loose, or checking its extra keys) keeps it.
      const catchall = def.catchall ? sub(def.catchall) : z.never();
      let changed = catchall !== def.catchall;
      const shape: Record<string, Schema> = {};
      for (const [k, v] of Object.entries(def.shape as Record<string, Schema>)) {
        shape[k] = sub(v);
        if (shape[k] !== v) changed = true;
      }
      return changed ? rebuild(s, { ...def, shape, catchall }) : s;
    }
    case "array":
      return withChildren(["element"]);
    case "union": {
      const options = (def.options as Schema[]).map(sub);
      return options.every((o, i) => o === (def.options as Schema[])[i])
        ? s
        : rebuild(s, { ...def, options });
    }
    case "intersection":
      return withChildren(["left", "right"]);
    case "record":
      // The keys are free; a value of a fixed shape is still checked strictly.
      return withChildren(["valueType"]);
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return withChildren(["innerType"]);
    case "pipe":
      return withChildren(["in", "out"]);
    case "lazy": {
      const getter = def.getter as () => Schema;
      const { _cachedInner: _, ...rest } = def as Def & { _cachedInner?: unknown };
      return rebuild(s, { ...rest, getter: () => sub(getter()) } as Def);
    }
    default:
      // Leaves (strings, numbers, enums, unknown, any, …) have no keys to check.
      return s;
  }
}
