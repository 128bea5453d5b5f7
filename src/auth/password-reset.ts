import { and, eq, isNull, sql } from "drizzle-orm";
import { tenants, users } from "../../db/schema/index.ts";
import { audit, auditInsert, type RequestMeta } from "../audit/audit-log.ts";
import { sha256Hex } from "../core/crypto.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import { resetMail } from "./account-mails.ts";
import { consumeAccountToken, issueAccountToken, peekAccountToken } from "./account-tokens.ts";
import { hashPassword, passwordProblem } from "./password.ts";
import { forgetUser } from "./principal-state.ts";

/**
 * Always "accepted", whether or not the email has an account; a mail goes out only when it does,
 * at most once a minute per address so the endpoint cannot be used to flood someone's inbox.
 */
export async function requestPasswordReset(s: Services, meta: RequestMeta, rawEmail: string): Promise<void> {
  const email = rawEmail.trim().toLowerCase();
  const [row] = await s.database.db.select({ user: users, tenant: tenants }).from(users)
    .leftJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(sql`lower(${users.email}) = ${email}`, isNull(users.deletedAt)));
  if (!row || row.user.status === "disabled" || row.tenant?.status === "deleted") return;
  const fresh = await s.kv.set(`auth:forgot:${await sha256Hex(email)}`, "1", {
    ttlSeconds: 60,
    onlyIfAbsent: true,
  });
  if (!fresh) return;
  const token = await issueAccountToken(s.kv, "reset_password", row.user.id);
  await s.mailer.send({
    ...resetMail(
      email,
      row.user.name,
      `${s.config.appUrl}/reset-password?token=${token}`,
      row.tenant?.settings?.language,
    ),
    tenantId: row.user.tenantId,
  });
  await audit(s, meta, {
    action: "auth.password_reset_requested",
    tenantId: row.user.tenantId,
    actor: { type: "anonymous" },
    targetType: "user",
    targetId: row.user.id,
  });
}

/**
 * Sets a new password with a reset or invitation token. The token is checked before it is
 * consumed, so a password the policy refuses does not burn it. Every session of the user ends.
 */
export async function resetPassword(
  s: Services,
  meta: RequestMeta,
  input: { token: string; new_password: string },
): Promise<Result<{ status: "password_set" }>> {
  const bad = () => fail<never>("bad_request", "The token is invalid, expired or already used");
  const peeked = await peekAccountToken(s.kv, input.token, ["reset_password", "invitation"]);
  if (!peeked) return bad();
  const [user] = await s.database.db.select().from(users)
    .where(and(eq(users.id, peeked.userId), isNull(users.deletedAt)));
  if (!user || user.status === "disabled") return bad();
  const problem = passwordProblem(input.new_password, user.email);
  if (problem) {
    return fail("validation_failed", "The password is too weak", {
      errors: [{ path: "body.new_password", message: `Password ${problem}` }],
    });
  }
  const consumed = await consumeAccountToken(s.kv, input.token, ["reset_password", "invitation"]);
  if (!consumed || consumed.userId !== user.id) return bad();
  const now = s.clock.now();
  const invitation = consumed.purpose === "invitation";
  const passwordHash = await hashPassword(input.new_password);
  await s.database.atomic((db) =>
    [
      db.update(users).set({
        passwordHash,
        status: "active",
        // Following the invitation link proves the address, like the verification mail would.
        ...(invitation && !user.emailVerifiedAt ? { emailVerifiedAt: now } : {}),
        sessionsRevokedAt: now,
        updatedAt: now,
      }).where(eq(users.id, user.id)),
      auditInsert(db, meta, {
        action: invitation ? "auth.invitation_accepted" : "auth.password_reset",
        tenantId: user.tenantId,
        actor: { type: "user", id: user.id },
        targetType: "user",
        targetId: user.id,
      }, now),
    ] as const
  );
  await forgetUser(s.kv, user.id);
  return ok({ status: "password_set" as const });
}
