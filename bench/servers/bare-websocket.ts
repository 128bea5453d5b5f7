/**
 * Baseline of the realtime benchmark: a bare `Deno.upgradeWebSocket` server doing the same fan-out
 * as the app's hub, with no authentication, permissions, channels, presence or heartbeat: every
 * socket receives every published frame. Same endpoints as bench/servers/realtime-app.ts.
 */
const sockets = new Set<WebSocket>();

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    // deno-lint-ignore no-console
    onListen: ({ port }) => console.log(`PORT ${port}`),
  },
  async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/ws") {
      const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "pytake" });
      socket.onopen = () => {
        sockets.add(socket);
        socket.send('{"type":"welcome"}');
      };
      // The client's subscribe gets an answer, so both servers see the same conversation.
      socket.onmessage = () => socket.send('{"type":"subscribed"}');
      socket.onclose = () => sockets.delete(socket);
      return response;
    }
    if (path === "/bench/publish" && req.method === "POST") {
      const data = await req.json();
      const t0 = performance.now();
      // The same frame as the app's: one serialisation per publish, whatever the fan-out.
      const frame = JSON.stringify({
        type: "event",
        channel: "messages",
        event: "message.received",
        data,
        id: crypto.randomUUID(),
        created_at: new Date().toISOString(),
      });
      for (const s of sockets) if (s.readyState === WebSocket.OPEN) s.send(frame);
      return Response.json({ sockets: sockets.size, ms: performance.now() - t0 });
    }
    if (path === "/bench/stats") return Response.json({ sockets: sockets.size });
    return new Response("not found", { status: 404 });
  },
);
