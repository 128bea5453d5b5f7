import { tenants, users } from "../../db/schema/index.ts";
import { type AuditEntry, auditInsert, type RequestMeta } from "../audit/audit-log.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { isUniqueViolation } from "../platform/db/errors.ts";
import type { Services } from "../services.ts";
import { defaultTenantSettings, slugFor } from "../tenants/tenant-settings.ts";
import { type UserView, userView } from "../users/user-view.ts";
import { verificationMail } from "./account-mails.ts";
import { issueAccountToken } from "./account-tokens.ts";
import { startSession, type TokenPair } from "./issue-tokens.ts";
import { hashPassword, passwordProblem } from "./password.ts";

export interface RegisterInput {
  email: string;
  password: string;
  name: string;
  tenant_name: string;
}

/**
 * Sign-up: a new tenant on the starter plan and its owner, written together, then a verification
 * mail. The owner is signed in at once; verifying the email is not required to use the product.
 */
export async function register(
  s: Services,
  meta: RequestMeta,
  input: RegisterInput,
): Promise<Result<TokenPair & { user: UserView }>> {
  const email = input.email.trim().toLowerCase();
  const problem = passwordProblem(input.password, email);
  if (problem) {
    return fail("validation_failed", "The password is too weak", {
      errors: [{ path: "body.password", message: `Password ${problem}` }],
    });
  }
  const now = s.clock.now();
  const tenantId = uuidv7();
  const userId = uuidv7();
  const tenantRow = {
    id: tenantId,
    name: input.tenant_name.trim(),
    slug: slugFor(input.tenant_name),
    plan: "starter" as const,
    settings: defaultTenantSettings(),
    createdAt: now,
    updatedAt: now,
  };
  const userRow = {
    id: userId,
    tenantId,
    email,
    name: input.name.trim(),
    passwordHash: await hashPassword(input.password),
    role: "owner" as const,
    createdAt: now,
    updatedAt: now,
  };
  const entry: AuditEntry = {
    action: "auth.register",
    tenantId,
    actor: { type: "user", id: userId },
    targetType: "tenant",
    targetId: tenantId,
    metadata: { email },
  };
  try {
    await s.database.atomic((db) =>
      [
        db.insert(tenants).values(tenantRow),
        db.insert(users).values(userRow),
        auditInsert(db, meta, entry, now),
      ] as const
    );
  } catch (err) {
    if (isUniqueViolation(err)) {
      return fail("conflict", "An account with this email already exists; sign in or reset the password");
    }
    throw err;
  }
  const token = await issueAccountToken(s.kv, "verify_email", userId);
  await s.mailer.send({
    ...verificationMail(email, userRow.name, `${s.config.appUrl}/verify-email?token=${token}`, "pt-BR"),
    tenantId,
  });
  const pair = await startSession(s, meta, { id: userId, tenantId, role: "owner" });
  const user = {
    ...userRow,
    permissions: [],
    status: "active" as const,
    emailVerifiedAt: null,
    lastLoginAt: null,
    sessionsRevokedAt: null,
    deletedAt: null,
  };
  return ok({
    ...pair,
    user: userView(user, { id: tenantId, name: tenantRow.name, plan: "starter", status: "active" }),
  });
}
