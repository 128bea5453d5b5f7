import { z } from "@hono/zod-openapi";
import { PROBLEM_TYPE_BASE } from "./problem.ts";

/** Schemas shared by every route's OpenAPI description. */

export const ProblemSchema = z.object({
  type: z.string().openapi({ example: `${PROBLEM_TYPE_BASE}validation_failed` }),
  title: z.string().openapi({ example: "Unprocessable Content" }),
  status: z.number().int().openapi({ example: 422 }),
  detail: z.string().openapi({ example: "The request has 1 invalid field" }),
  code: z.string().openapi({
    description: "Stable machine-readable code; switch on this, not on the text.",
    example: "validation_failed",
  }),
  request_id: z.string().openapi({ example: "0192f0c4-7a3e-7c41-9d2e-5b8f1a6c3e21" }),
  errors: z.array(z.object({
    path: z.string().openapi({ example: "body.email" }),
    message: z.string().openapi({ example: "Invalid email address" }),
  })).optional().openapi({ description: "One entry per invalid field (422 only)." }),
}).openapi("Problem", {
  description: "RFC 9457 problem details; every error of the API has this shape.",
});

export const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/**
 * A 202: the work goes on after the answer. Every 202 of the API says where to follow it, in
 * `Location` (RFC 9110 §15.3.3): `follow` is that resource's path template, which GET answers with
 * the work's state. The handler sets the header (`c.header("Location", …)`).
 */
export const acceptedContent = <T extends z.ZodType>(schema: T, description: string, follow: string) => ({
  description,
  headers: {
    Location: {
      description: `Where to follow the work: \`GET ${follow}\`.`,
      schema: {
        type: "string" as const,
        example: follow.replace(/\{\w+\}/g, "0192f0c4-7a3e-7c41-9d2e-5b8f1a6c3e21"),
      },
    },
  },
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  description,
  content: { "application/json": { schema } },
});

export const IdParam = z.object({
  id: z.uuid().openapi({
    param: { name: "id", in: "path" },
    example: "0192f0c4-7a3e-7c41-9d2e-5b8f1a6c3e21",
  }),
});

export const Timestamp = z.string().openapi({ format: "date-time", example: "2026-11-26T18:00:00.000Z" });
