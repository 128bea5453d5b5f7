import { eq } from "drizzle-orm";
import { users } from "../../db/schema/index.ts";
import { auditInsert, type RequestMeta } from "../audit/audit-log.ts";
import { hashPassword, passwordProblem, verifyPassword } from "../auth/password.ts";
import { forgetUser } from "../auth/principal-state.ts";
import type { Principal } from "../auth/principal.ts";
import { renewSession } from "../auth/sessions.ts";
import { fail, ok, type Result } from "../core/result.ts";
import type { Services } from "../services.ts";
import { findUser } from "./manage-users.ts";

/**
 * A user changes their own password, proving the current one. Every other session ends; the
 * one making the change carries on. Other people's passwords are reset by mail, never set here.
 */
export async function changePassword(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  input: { current_password: string; new_password: string },
): Promise<Result<{ status: "password_changed" }>> {
  const row = await findUser(s, p, id);
  if (!row) return fail("not_found", "User not found");
  if (p.kind !== "user" || p.userId !== id) {
    return fail("forbidden", "You can only change your own password; others reset theirs by mail");
  }
  const user = row.user;
  const check = user.passwordHash
    ? await verifyPassword(input.current_password, user.passwordHash)
    : { ok: false };
  if (!check.ok) {
    return fail("validation_failed", "The current password is wrong", {
      errors: [{ path: "body.current_password", message: "Does not match your current password" }],
    });
  }
  const problem = passwordProblem(input.new_password, user.email);
  if (problem || input.new_password === input.current_password) {
    return fail("validation_failed", "The new password is not acceptable", {
      errors: [{
        path: "body.new_password",
        message: problem ? `Password ${problem}` : "Must differ from the current one",
      }],
    });
  }
  const now = s.clock.now();
  const passwordHash = await hashPassword(input.new_password);
  await s.database.atomic((db) =>
    [
      db.update(users).set({ passwordHash, sessionsRevokedAt: now, updatedAt: now }).where(eq(users.id, id)),
      auditInsert(db, meta, { action: "user.password_change", targetType: "user", targetId: id }, now),
    ] as const
  );
  await renewSession(s.kv, p.sessionId, now);
  await forgetUser(s.kv, id);
  return ok({ status: "password_changed" as const });
}
