import { z } from "@hono/zod-openapi";
import type { App } from "../../src/app.ts";
import { audit, requestMeta } from "../../src/audit/audit-log.ts";
import { buildReport } from "../../src/dashboard/build-report.ts";
import { reportCsv } from "../../src/dashboard/report-csv.ts";
import { reportPdf } from "../../src/dashboard/report-pdf.ts";
import { defineRoute } from "../../src/http/define-route.ts";
import { jsonBody } from "../../src/http/openapi-schemas.ts";
import { unwrap } from "../../src/http/unwrap.ts";
import { PeriodQuerySchema, resolvePeriod } from "../../src/tenants/period.ts";
import { TAG } from "./schemas.ts";

export const exportRoute = defineRoute({ permission: "read:dashboard" }, {
  method: "post",
  path: "/api/v1/dashboard/export",
  tags: [TAG],
  operationId: "exportDashboard",
  summary: "Export the dashboard (PDF or CSV)",
  description:
    "The period's metrics and KPIs, its charts (hourly for a day, daily up to two months, weekly beyond) and the team, in the tenant's time zone and language (Portuguese for pt-BR). PDF: an A4 report with the charts drawn; CSV: `section,metric,label,value` rows, UTF-8 with BOM.",
  request: {
    body: jsonBody(
      PeriodQuerySchema.extend({ format: z.enum(["pdf", "csv"]).default("pdf") }).strict()
        .openapi("ExportDashboard", { example: { format: "pdf", period: "month" } }),
    ),
  },
  responses: {
    200: {
      description: "The report, as an attachment.",
      content: {
        "application/pdf": { schema: z.string().openapi({ format: "binary" }) },
        "text/csv": { schema: z.string() },
      },
    },
  },
});

export const registerDashboardExport = (app: App) => {
  app.openapi(exportRoute, async (c) => {
    const s = c.get("services");
    const tenantId = c.get("principal")!.tenantId!;
    const input = c.req.valid("json");
    const period = unwrap(resolvePeriod(s, c.get("tenant")?.settings, input));
    const report = await buildReport(s, tenantId, period);
    await audit(s, requestMeta(c), {
      action: "dashboard.export",
      targetType: "dashboard",
      metadata: { format: input.format, period: period.name, from: period.from, to: period.to },
    });
    const name = `painel-${period.from.toISOString().slice(0, 10)}.${input.format}`;
    const disposition = { "content-disposition": `attachment; filename="${name}"` };
    if (input.format === "csv") {
      return c.body(reportCsv(report), 200, { ...disposition, "content-type": "text/csv; charset=utf-8" });
    }
    const pdf = await reportPdf(report);
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, { ...disposition, "content-type": "application/pdf" });
  });
};
