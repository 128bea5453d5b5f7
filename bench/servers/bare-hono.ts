/** Baseline: a bare Hono app answering what `/observability/live` answers, nothing else. */
import { Hono } from "hono";

const app = new Hono();
app.get("/observability/live", (c) => c.json({ status: "alive" }));
Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0, // The parent reads the port from stdout.
    // deno-lint-ignore no-console
    onListen: ({ port }) => console.log(`PORT ${port}`),
  },
  app.fetch,
);
