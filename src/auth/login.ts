import { and, eq, isNull, sql } from "drizzle-orm";
import { auditLog, tenants, users } from "../../db/schema/index.ts";
import { afterAnswer } from "../core/after-answer.ts";
import { type AuditEntry, auditInsert, auditRow, type RequestMeta } from "../audit/audit-log.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import { type UserView, userView } from "../users/user-view.ts";
import { startSession, type TokenPair } from "./issue-tokens.ts";
import { dummyHash, hashPassword, verifyPassword } from "./password.ts";

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_SECONDS = 15 * 60;

const failKey = (email: string) => `auth:fail:${email}`;
const lockKey = (email: string) => `auth:lock:${email}`;

/** The one answer for every wrong email, password or account state: it never tells which. */
const invalid = () => fail<never>("unauthorized", "Invalid email or password");

/**
 * Password sign-in. Counting is per email address, existing or not, so a lockout says nothing
 * about whether the account exists; unknown emails still pay the PBKDF2 cost.
 */
export async function login(
  s: Services,
  meta: RequestMeta,
  input: { email: string; password: string },
): Promise<Result<TokenPair & { user: UserView }>> {
  const email = input.email.trim().toLowerCase();
  const lockTtl = await s.kv.ttl(lockKey(email));
  if (lockTtl !== null) {
    const minutes = Math.max(1, Math.ceil(lockTtl / 60));
    return fail("account_locked", `Too many failed sign-ins; try again in ${minutes} min`, {
      extensions: { retry_after_seconds: Math.max(1, lockTtl) },
    });
  }
  const [row] = await s.database.db.select({ user: users, tenant: tenants }).from(users)
    .leftJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(sql`lower(${users.email}) = ${email}`, isNull(users.deletedAt)));
  const user = row?.user;
  const check = await verifyPassword(input.password, user?.passwordHash ?? await dummyHash());

  if (!user || !user.passwordHash || !check.ok || user.status !== "active") {
    const attempts = await s.kv.incr(failKey(email), { ttlSeconds: LOCKOUT_SECONDS });
    const who = {
      tenantId: user?.tenantId ?? null,
      actor: { type: "anonymous" as const },
      targetType: "user",
      targetId: user?.id,
    };
    const entries: AuditEntry[] = [{
      ...who,
      action: "auth.login_failed",
      metadata: {
        email,
        attempts,
        reason: !user ? "unknown_email" : user.status !== "active" ? user.status : "password",
      },
    }];
    if (attempts >= MAX_FAILED_LOGINS) {
      await s.kv.set(lockKey(email), "1", { ttlSeconds: LOCKOUT_SECONDS });
      await s.kv.del(failKey(email));
      entries.push({ ...who, action: "auth.lockout", metadata: { email, minutes: 15 } });
    }
    // The failure and a lockout it caused: one statement, after the answer (the lock is in KV).
    const now = s.clock.now();
    await afterAnswer(() =>
      s.database.db.insert(auditLog).values(entries.map((e) => auditRow(meta, e, now)))
    );
    return invalid();
  }

  const tenant = row.tenant;
  if (tenant?.status === "deleted") return invalid();
  if (tenant?.status === "suspended") {
    return fail("tenant_suspended", "This tenant is suspended; contact support to reactivate it");
  }

  await s.kv.del(failKey(email));
  const now = s.clock.now();
  // Parameters raised since this password was stored: rehash now that we know it.
  const rehashed = check.needsRehash ? await hashPassword(input.password) : undefined;
  const pair = await startSession(s, meta, user);
  // The sign-in recorded on the user and in the audit log: one batch, after the answer, which
  // depends on neither (ROUND_TRIP_BUDGET.login).
  await afterAnswer(() =>
    s.database.atomic((db) =>
      [
        db.update(users).set({ lastLoginAt: now, ...(rehashed ? { passwordHash: rehashed } : {}) })
          .where(eq(users.id, user.id)),
        auditInsert(db, meta, {
          action: "auth.login",
          tenantId: user.tenantId,
          actor: { type: "user", id: user.id },
          targetType: "user",
          targetId: user.id,
        }, now),
      ] as const
    )
  );
  return ok({ ...pair, user: userView({ ...user, lastLoginAt: now }, tenant) });
}
