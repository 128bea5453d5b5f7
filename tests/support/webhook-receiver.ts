/** A customer's webhook endpoint on loopback: records what arrives, answers what the test says. */
export interface Received {
  headers: Record<string, string>;
  body: string;
  json: { id: string; event: string; created_at: string; tenant_id: string; data: Record<string, unknown> };
}

export function startReceiver() {
  const received: Received[] = [];
  /** Statuses to answer, in order; the last one repeats. */
  let script: number[] = [200];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    received.push({ headers: Object.fromEntries(req.headers), body, json: JSON.parse(body) });
    const status = script.length > 1 ? script.shift()! : script[0];
    return new Response(status === 204 ? null : `answer ${status}`, { status });
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answer(...statuses: number[]) {
      script = statuses;
    },
    close: () => server.shutdown(),
  };
}
