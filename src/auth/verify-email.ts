import { and, eq, isNull } from "drizzle-orm";
import { users } from "../../db/schema/index.ts";
import { auditInsert, type RequestMeta } from "../audit/audit-log.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import { consumeAccountToken } from "./account-tokens.ts";

export async function verifyEmail(
  s: Services,
  meta: RequestMeta,
  token: string,
): Promise<Result<{ email_verified: true; email: string }>> {
  const consumed = await consumeAccountToken(s.kv, token, ["verify_email"]);
  if (!consumed) return fail("bad_request", "The token is invalid, expired or already used");
  const now = s.clock.now();
  const [, [user]] = await s.database.atomic((db) =>
    [
      auditInsert(db, meta, {
        action: "auth.email_verified",
        actor: { type: "user", id: consumed.userId },
        targetType: "user",
        targetId: consumed.userId,
      }, now),
      db.update(users).set({ emailVerifiedAt: now, updatedAt: now })
        .where(and(eq(users.id, consumed.userId), isNull(users.deletedAt)))
        .returning({ email: users.email, tenantId: users.tenantId }),
    ] as const
  );
  if (!user) return fail("bad_request", "The token is invalid, expired or already used");
  return ok({ email_verified: true as const, email: user.email });
}
