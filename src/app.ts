import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { registerRoutes } from "../routes/index.ts";
import type { AppEnv } from "./http/app-env.ts";
import { registerDocs } from "./http/docs-page.ts";
import { errorHandler, notFoundHandler } from "./http/error-handler.ts";
import { openApiConfig, registerOpenApiComponents } from "./http/openapi-document.ts";
import { ApiError } from "./http/problem.ts";
import { requestContext } from "./http/request-context.ts";
import { validationHook } from "./http/validation-hook.ts";
import { registerJobs } from "./register-jobs.ts";
import type { Services } from "./services.ts";

export type App = OpenAPIHono<AppEnv>;

/** Routes that take a file (multipart) and so the upload limit. */
const UPLOAD_PATHS = new Set(["/api/v1/contacts/import"]);

/**
 * Builds the whole API from injected services. Runtime-neutral: the Deno and Worker entries, the
 * tests and the benchmarks all call this, so they exercise the same stack.
 */
export function createApp(services: Services): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const { config } = services;

  app.use("*", requestContext(services));
  const limitOf = (maxSize: number, what: string) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("payload_too_large", `The ${what} is larger than ${maxSize} bytes`);
      },
    });
  const bodyLimited = limitOf(config.maxBodyBytes, "body");
  const uploadLimited = limitOf(config.maxUploadBytes, "file");
  // File uploads get their own, larger limit; everything else stays small.
  app.use("*", (c, next) => (UPLOAD_PATHS.has(c.req.path) ? uploadLimited : bodyLimited)(c, next));

  registerOpenApiComponents(app);
  registerRoutes(app);
  registerJobs(services);

  app.get("/openapi.json", (c) => c.json(app.getOpenAPI31Document(openApiConfig(config))));
  registerDocs(app, "PyTake API reference");
  app.get("/", (c) =>
    c.json({
      name: "PyTake Edge API",
      version: config.version,
      docs: `${config.publicBaseUrl}/docs`,
      openapi: `${config.publicBaseUrl}/openapi.json`,
    }));

  app.notFound(notFoundHandler(app.routes));
  app.onError(errorHandler);
  return app;
}
