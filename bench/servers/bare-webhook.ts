/** Baseline for webhook ingestion: reads the body and answers 200, nothing else. */
Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  // The parent reads the port from stdout.
  // deno-lint-ignore no-console
  onListen: ({ port }) => console.log(`PORT ${port}`),
}, async (req) => {
  await req.text();
  return Response.json({ status: "received" });
});
