/**
 * A local OpenAI stand-in speaking the chat-completions wire format (`POST /v1/chat/completions`):
 * JSON answers with `usage`, SSE streams (`data: {chunk}` lines, a usage chunk when
 * `stream_options.include_usage`, then `data: [DONE]`), errors in OpenAI's `{error: {…}}` shape,
 * 429 with `retry-after`, and a hang. Every request is kept so tests can check what we sent
 * (model, `response_format.json_schema`, the text after redaction, the bearer key).
 */

export interface StandinRequest {
  authorization: string | null;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    temperature?: number;
    max_tokens?: number;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    response_format?: {
      type: string;
      json_schema?: { name: string; schema: Record<string, unknown>; strict?: boolean };
    };
  };
}

/** What the next call answers. */
export type StandinReply =
  | { content: string; model?: string; usage?: { prompt_tokens: number; completion_tokens: number } }
  | {
    status: number;
    error: { message: string; type: string; code?: string | null };
    headers?: Record<string, string>;
  }
  | { hang: true }
  | { stream: string[] };

const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));

/** A plausible answer for a structured task when the test queued nothing. */
function defaultContent(req: StandinRequest["body"]): string {
  switch (req.response_format?.json_schema?.name) {
    case "sentiment":
      return JSON.stringify({ label: "positive", score: 0.8 });
    case "intent":
      return JSON.stringify({ intent: "cancelamento", confidence: 0.93 });
    case "entities":
      return JSON.stringify({ entities: [] });
    case "summary":
      return JSON.stringify({
        summary: "Cliente sem internet; técnico agendado.",
        key_points: ["Cliente sem internet"],
        intent: "sem_conexao",
        sentiment: "negative",
        sentiment_trend: "improving",
        resolved: false,
      });
    case "suggestions":
      return JSON.stringify({ suggestions: ["Vou verificar agora mesmo.", "Pode reiniciar o roteador?"] });
    case "translation":
      return JSON.stringify({ text: "Olá, como vai?", source_language: "en" });
    default:
      return "Olá! Como posso ajudar?";
  }
}

export class OpenAiStandin {
  readonly requests: StandinRequest[] = [];
  #queue: StandinReply[] = [];
  #server: Deno.HttpServer | undefined;
  #hung: (() => void)[] = [];
  url = "";

  /** Queues answers for the next calls, in order; afterwards the defaults answer. */
  reply(...replies: StandinReply[]): void {
    this.#queue.push(...replies);
  }

  get last(): StandinRequest {
    return this.requests[this.requests.length - 1];
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      this.#server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) => {
          this.url = `http://127.0.0.1:${port}/v1`;
          resolve();
        },
      }, (req) => this.#handle(req));
    });
  }

  async #handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return Response.json({
        error: { message: `Unknown route ${req.method} ${path}`, type: "invalid_request_error" },
      }, {
        status: 404,
      });
    }
    const body = await req.json() as StandinRequest["body"];
    this.requests.push({ authorization: req.headers.get("authorization"), body });
    if (!req.headers.get("authorization")?.startsWith("Bearer ")) {
      return Response.json({
        error: { message: "Missing API key", type: "invalid_request_error", code: "invalid_api_key" },
      }, {
        status: 401,
      });
    }
    const next = this.#queue.shift() ?? { content: defaultContent(body) };
    if ("hang" in next) {
      // Never answers; released when the stand-in stops (the client gives up first).
      await new Promise<void>((resolve) => this.#hung.push(resolve));
      return new Response("", { status: 599 });
    }
    if ("status" in next) {
      return Response.json({ error: { code: null, ...next.error } }, {
        status: next.status,
        headers: next.headers,
      });
    }
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const prompt = body.messages.map((m) => m.content).join("\n");
    if ("stream" in next || body.stream) {
      const pieces = "stream" in next ? next.stream : (next.content.match(/\S+\s*/g) ?? []);
      const lines = [
        ...pieces.map((p, i) => ({
          id,
          object: "chat.completion.chunk",
          created,
          model: body.model,
          choices: [{
            index: 0,
            delta: i === 0 ? { role: "assistant", content: p } : { content: p },
            finish_reason: null,
          }],
        })),
        {
          id,
          object: "chat.completion.chunk",
          created,
          model: body.model,
          choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
        },
        ...(body.stream_options?.include_usage
          ? [{
            id,
            object: "chat.completion.chunk",
            created,
            model: body.model,
            choices: [],
            usage: {
              prompt_tokens: tokens(prompt),
              completion_tokens: tokens(pieces.join("")),
              total_tokens: tokens(prompt) + tokens(pieces.join("")),
            },
          }]
          : []),
      ];
      const text = lines.map((l) => `data: ${JSON.stringify(l)}\n\n`).join("") + "data: [DONE]\n\n";
      return new Response(text, { headers: { "content-type": "text/event-stream" } });
    }
    const usage = next.usage ?? { prompt_tokens: tokens(prompt), completion_tokens: tokens(next.content) };
    return Response.json({
      id,
      object: "chat.completion",
      created,
      model: next.model ?? body.model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: next.content, refusal: null },
        finish_reason: "stop",
      }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  }

  async stop(): Promise<void> {
    for (const release of this.#hung.splice(0)) release();
    await this.#server?.shutdown();
  }
}
