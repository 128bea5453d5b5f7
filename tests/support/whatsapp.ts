import { body, type TestContext } from "./harness.ts";

export interface NumberView {
  id: string;
  phone_number: string;
  phone_number_id: string | null;
  api_type: string;
  is_default: boolean;
  is_active: boolean;
  credentials: Record<string, string | null>;
  connection_state: string;
  webhook_url: string;
  verify_token?: string;
}

let seq = 0;
/** A distinct Brazilian mobile per call. */
export const customerPhone = () => `+55119${String(80000000 + ++seq * 7919).slice(-8)}`;

export async function addNumber(
  ctx: TestContext,
  token: string,
  input: Record<string, unknown>,
): Promise<NumberView> {
  const res = await ctx.request("/api/v1/whatsapp-configs", { method: "POST", token, json: input });
  const b = await body<NumberView>(res);
  if (res.status !== 201) throw new Error(`add number failed: ${res.status} ${JSON.stringify(b)}`);
  return b;
}

export function addSandboxNumber(
  ctx: TestContext,
  token: string,
  phone = "+5511955550000",
): Promise<NumberView> {
  return addNumber(ctx, token, { api_type: "sandbox", name: "Sandbox", phone_number: phone });
}

/** A customer writes to a sandbox number (opens the 24-hour window). */
export async function customerWrites(
  ctx: TestContext,
  token: string,
  configId: string,
  from: string,
  text = "Oi, preciso de ajuda",
): Promise<string> {
  const res = await ctx.request(`/api/v1/whatsapp-configs/${configId}/simulate-inbound`, {
    method: "POST",
    token,
    json: { from, text, name: "Cliente Teste" },
  });
  const b = await body<{ provider_message_id: string }>(res);
  if (res.status !== 201) throw new Error(`simulate failed: ${res.status} ${JSON.stringify(b)}`);
  return b.provider_message_id;
}
