import { z } from "@hono/zod-openapi";

/** `?page=1&limit=20` (limit at most 100) on every list (DESIGN §5). */
export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).openapi({ example: 1 }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
});

export type PageParams = z.infer<typeof PageQuery>;

export const PageMeta = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int().openapi({ description: "Items matching the filters, all pages." }),
}).openapi("PageMeta");

/** `{ data: [...], meta: { page, limit, total } }` for a given item schema. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), meta: PageMeta });

export const offsetOf = (p: PageParams): number => (p.page - 1) * p.limit;

export function page<T>(data: T[], p: PageParams, total: number) {
  return { data, meta: { page: p.page, limit: p.limit, total } };
}
