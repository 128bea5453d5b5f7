import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { audit, requestMeta } from "../../src/audit/audit-log.ts";
import { exportContactsCsv } from "../../src/contacts/export-contacts.ts";
import {
  findImport,
  importErrors,
  importView,
  listImports,
  MAX_IMPORT_ROWS,
  startImport,
} from "../../src/contacts/import/contact-imports.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import {
  acceptedContent,
  IdParam,
  jsonContent,
  problemResponse,
  Timestamp,
} from "../../src/http/openapi-schemas.ts";
import { page, pageOf, PageQuery } from "../../src/http/pagination.ts";
import { ApiError, notFound } from "../../src/http/problem.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { ContactFilterQuery, TAG } from "./schemas.ts";

export const ImportSchema = z.object({
  id: z.uuid(),
  status: z.enum(["queued", "processing", "completed", "failed"]),
  file_name: z.string().nullable(),
  format: z.enum(["csv", "xlsx"]),
  file_sha256: z.string(),
  columns: z.record(z.string(), z.string()).openapi({
    description: "What each column of the file was read as: a field, `attributes.<key>` or `ignored`.",
    example: { Telefone: "phone", Nome: "name", Plano: "attributes.plano" },
  }),
  total_rows: z.number().int(),
  processed: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  failed: z.number().int().openapi({ description: "Rows not imported; the reasons: GET …/errors." }),
  progress: z.number().openapi({ description: "processed / total_rows, 0 to 1.", example: 0.42 }),
  error: z.string().nullable(),
  created_at: Timestamp,
  started_at: Timestamp.nullable(),
  completed_at: Timestamp.nullable(),
}).openapi("ContactImport");

export const importRoute = defineRoute({ permission: "write:contacts" }, {
  method: "post",
  path: "/api/v1/contacts/import",
  tags: [TAG],
  operationId: "importContacts",
  summary: "Import contacts from CSV or XLSX",
  description:
    `multipart/form-data with the file in \`file\`: CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or XLSX (first sheet), up to ${
      MAX_IMPORT_ROWS.toLocaleString("en")
    } rows. The first row names the columns: a phone column is required (\`phone\`, \`telefone\`, \`celular\`, \`whatsapp\`, …); \`name\`/\`nome\`, \`email\`, \`tags\` (separated by , ; or |), \`opt_in\`, \`blocked\` are read when present and any other column becomes a custom attribute. Contacts are upserted by phone (an empty cell keeps what the contact has; tags are added). The rows are checked now and applied by a background job: follow it at GET /api/v1/contacts/imports/{id}. Sending the same file again answers the first import (200, \`reused: true\`) unless \`force=true\`.`,
  request: {
    query: z.object({
      force: z.enum(["true", "false"]).optional().openapi({
        description: "Import again a file already imported.",
      }),
    }),
    body: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: z.object({ file: z.any().openapi({ type: "string", format: "binary" }) }),
        },
      },
    },
  },
  responses: {
    202: acceptedContent(
      ImportSchema.extend({ reused: z.boolean() }),
      "Accepted; the import runs in the background.",
      "/api/v1/contacts/imports/{id}",
    ),
    200: jsonContent(
      ImportSchema.extend({ reused: z.boolean() }),
      "This file was already imported: that import (`Location` names it too).",
    ),
    413: problemResponse("The file is too large or has too many rows."),
    415: problemResponse("Not a CSV or XLSX file."),
    422: problemResponse("No `file` field, an empty file, or no phone column."),
  },
});

export const listImportsRoute = defineRoute({ permission: "read:contacts" }, {
  method: "get",
  path: "/api/v1/contacts/imports",
  tags: [TAG],
  operationId: "listContactImports",
  summary: "Contact imports, newest first",
  request: { query: PageQuery },
  responses: { 200: jsonContent(pageOf(ImportSchema), "Imports.") },
});

export const getImportRoute = defineRoute({ permission: "read:contacts" }, {
  method: "get",
  path: "/api/v1/contacts/imports/{id}",
  tags: [TAG],
  operationId: "getContactImport",
  summary: "An import's progress and counts",
  request: { params: IdParam },
  responses: { 200: jsonContent(ImportSchema, "The import.") },
});

export const importErrorsRoute = defineRoute({ permission: "read:contacts" }, {
  method: "get",
  path: "/api/v1/contacts/imports/{id}/errors",
  tags: [TAG],
  operationId: "getContactImportErrors",
  summary: "The rows an import could not take, and why",
  description: "`row` is the line in the file (the header is line 1).",
  request: { params: IdParam, query: PageQuery },
  responses: {
    200: jsonContent(
      pageOf(z.object({
        row: z.number().int().openapi({ example: 7 }),
        field: z.string().openapi({ example: "phone" }),
        reason: z.string().openapi({ example: "not a valid phone number" }),
        value: z.string().nullable().openapi({ example: "1234" }),
      })),
      "Row errors, in file order.",
    ),
  },
});

export const exportRoute = defineRoute({ permission: "read:contacts" }, {
  method: "get",
  path: "/api/v1/contacts/export",
  tags: [TAG],
  operationId: "exportContacts",
  summary: "Export contacts as CSV",
  description:
    "Streamed UTF-8 CSV (with BOM) of the contacts matching the list filters; custom attributes get a column each (`attributes.<key>`). Importing the file back gives the same contacts (attribute values come back as text: a spreadsheet cell does not say whether `10` was a number).",
  request: { query: ContactFilterQuery.extend({ format: z.enum(["csv"]).default("csv") }) },
  responses: {
    200: { description: "The CSV file.", content: { "text/csv": { schema: z.string() } } },
  },
});

export const registerContactTransfer = (app: App) => {
  app.openapi(importRoute, async (c) => {
    const s = c.get("services");
    const file = (c.req.valid("form") as { file?: unknown }).file;
    if (!(file instanceof File)) {
      throw new ApiError("validation_failed", "No file: send it in the multipart field `file`", {
        errors: [{ path: "body.file", message: "Required" }],
      });
    }
    const result = unwrap(
      await startImport(s, requestMeta(c), c.get("principal")!, {
        bytes: new Uint8Array(await file.arrayBuffer()),
        name: file.name,
        type: file.type,
      }, { force: c.req.valid("query").force === "true" }),
    );
    const body = { ...result.import, reused: result.reused };
    c.header("location", `/api/v1/contacts/imports/${result.import.id}`);
    return result.reused ? c.json(body, 200) : c.json(body, 202);
  });
  app.openapi(listImportsRoute, async (c) => {
    const q = c.req.valid("query");
    const { data, total } = await listImports(c.get("services"), c.get("principal")!, q);
    return c.json(page(data, q, total), 200);
  });
  app.openapi(getImportRoute, async (c) => {
    const row = await findImport(c.get("services"), c.get("principal")!, c.req.valid("param").id);
    if (!row) throw notFound("Import");
    return c.json(importView(row), 200);
  });
  app.openapi(importErrorsRoute, async (c) => {
    const s = c.get("services");
    const row = await findImport(s, c.get("principal")!, c.req.valid("param").id);
    if (!row) throw notFound("Import");
    const q = c.req.valid("query");
    const { data, total } = await importErrors(s, row.id, q);
    return c.json(page(data, q, total), 200);
  });
  app.openapi(exportRoute, async (c) => {
    const s = c.get("services");
    const q = c.req.valid("query");
    const stream = await exportContactsCsv(s, c.get("principal")!, q);
    // The whole customer base leaving the system is worth a line in the audit log (LGPD).
    await audit(s, requestMeta(c), {
      action: "contact.export",
      targetType: "contact",
      metadata: { filters: { tags: q.tags ?? null, tags_match: q.tags_match, opt_in: q.opt_in ?? null } },
    });
    const day = s.clock.now().toISOString().slice(0, 10);
    return c.body(stream, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="contatos-${day}.csv"`,
    });
  });
};
