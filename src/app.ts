import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { registerRoutes } from "../routes/index.ts";
import type { AppEnv } from "./http/app-env.ts";
import { docsPage, SCALAR_CDN } from "./http/docs-page.ts";
import { errorHandler, notFoundHandler } from "./http/error-handler.ts";
import { openApiConfig, registerOpenApiComponents } from "./http/openapi-document.ts";
import { ApiError } from "./http/problem.ts";
import { requestContext } from "./http/request-context.ts";
import { validationHook } from "./http/validation-hook.ts";
import { registerJobs } from "./register-jobs.ts";
import type { Services } from "./services.ts";

export type App = OpenAPIHono<AppEnv>;

/**
 * Builds the whole API from injected services. Runtime-neutral: the Deno and Worker entries, the
 * tests and the benchmarks all call this, so they exercise the same stack.
 */
export function createApp(services: Services): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const { config } = services;

  app.use("*", requestContext(services));
  app.use(
    "*",
    cors({
      origin: config.corsOrigins === "*" ? "*" : config.corsOrigins,
      allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id", "traceparent"],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: [
        "X-Request-Id",
        "traceparent",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "Retry-After",
        "Location",
      ],
      maxAge: 600,
    }),
  );
  app.use(
    "/docs",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'", new URL(SCALAR_CDN).origin],
        styleSrc: ["'self'", "'unsafe-inline'", "https:"],
        fontSrc: ["'self'", "https:", "data:"],
        imgSrc: ["'self'", "https:", "data:"],
        connectSrc: ["'self'", "https:"],
      },
    }),
  );
  app.use("*", async (c, next) => {
    // The docs page sets its own policy above; everything else is a JSON API.
    if (c.req.path === "/docs") return await next();
    return await secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      crossOriginResourcePolicy: "cross-origin",
    })(c, next);
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: () => {
        throw new ApiError("payload_too_large", `The body is larger than ${config.maxBodyBytes} bytes`);
      },
    }),
  );

  registerOpenApiComponents(app);
  registerRoutes(app);
  registerJobs(services);

  app.get("/openapi.json", (c) => c.json(app.getOpenAPI31Document(openApiConfig(config))));
  app.get("/docs", (c) => c.html(docsPage("PyTake API reference", "/openapi.json")));
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
