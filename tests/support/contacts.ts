import { body, type TestContext } from "./harness.ts";

export interface ImportView {
  id: string;
  status: string;
  total_rows: number;
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  columns: Record<string, string>;
  reused?: boolean;
}

/** Uploads a contacts file as a browser form would (multipart, field `file`). */
export function uploadContacts(
  ctx: TestContext,
  token: string,
  content: string | Uint8Array,
  opts: { name?: string; type?: string; force?: boolean } = {},
): Promise<Response> {
  const form = new FormData();
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  form.set(
    "file",
    new File([bytes as Uint8Array<ArrayBuffer>], opts.name ?? "contatos.csv", {
      type: opts.type ?? "text/csv",
    }),
  );
  return ctx.request(`/api/v1/contacts/import${opts.force ? "?force=true" : ""}`, {
    method: "POST",
    token,
    body: form,
  });
}

/** Uploads a file and runs the import job to its end; answers the finished import. */
export async function importContacts(
  ctx: TestContext,
  token: string,
  content: string | Uint8Array,
  opts: { name?: string; type?: string; force?: boolean } = {},
): Promise<ImportView> {
  const res = await uploadContacts(ctx, token, content, opts);
  const started = await body<ImportView>(res);
  if (res.status !== 202 && res.status !== 200) {
    throw new Error(`import failed: ${res.status} ${JSON.stringify(started)}`);
  }
  await ctx.services.runner!.drain();
  return await body<ImportView>(await ctx.request(`/api/v1/contacts/imports/${started.id}`, { token }));
}

export async function createContact(
  ctx: TestContext,
  token: string,
  input: Record<string, unknown>,
): Promise<{ id: string; phone: string; tags: string[] }> {
  const res = await ctx.request("/api/v1/contacts", { method: "POST", token, json: input });
  const b = await body<{ id: string; phone: string; tags: string[] }>(res);
  if (res.status !== 201) throw new Error(`create contact failed: ${res.status} ${JSON.stringify(b)}`);
  return b;
}
