import { mailOutbox } from "../../../db/schema/index.ts";
import { uuidv7 } from "../../core/ids.ts";
import type { Logger } from "../../observability/logger.ts";
import type { Database } from "../db/database.ts";

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** What it is for: `verify_email`, `reset_password`, `invitation`, … */
  kind: string;
  tenantId?: string | null;
}

/** Mail port. Every mail is written to the outbox table first, so none is lost. */
export interface Mailer {
  send(mail: Mail): Promise<{ id: string }>;
}

/**
 * The outbox mailer: stores the mail and logs that it did (the recipient masked, never the text:
 * links carry tokens). In development `devMailbox` also shows the whole mail to the developer, on
 * the console rather than in the log, so a verification or reset link can be followed without
 * any mail server.
 */
export class OutboxMailer implements Mailer {
  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly opts: { devMailbox?: (mail: Mail) => void } = {},
  ) {}

  async send(mail: Mail): Promise<{ id: string }> {
    const id = uuidv7();
    await this.database.db.insert(mailOutbox).values({
      id,
      tenantId: mail.tenantId ?? null,
      toAddress: mail.to,
      subject: mail.subject,
      textBody: mail.text,
      htmlBody: mail.html ?? null,
      kind: mail.kind,
    });
    this.log.info("mail queued", { service: "mail", mail_id: id, kind: mail.kind, to: mail.to });
    this.opts.devMailbox?.(mail);
    return { id };
  }
}
