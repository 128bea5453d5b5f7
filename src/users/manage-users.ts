import { and, eq, sql } from "drizzle-orm";
import { tenants, users } from "../../db/schema/index.ts";
import { auditInsertWhere, type RequestMeta } from "../audit/audit-log.ts";
import { resultRows } from "../platform/db/database.ts";
import { insertWhere } from "../platform/db/insert-where.ts";
import { invitationMail } from "../auth/account-mails.ts";
import { issueAccountToken } from "../auth/account-tokens.ts";
import type { Permission, Role } from "../auth/permissions.ts";
import { forgetUser } from "../auth/principal-state.ts";
import type { Principal } from "../auth/principal.ts";
import { uuidv7 } from "../core/ids.ts";
import { fail, ok, type Result } from "../core/result.ts";
import { isUniqueViolation } from "../platform/db/errors.ts";
import { mapRead, readQuery, runReads } from "../platform/db/reads.ts";
import type { Services } from "../services.ts";
import { limitsOf } from "../tenants/plans.ts";
import { canAssign, canManage } from "./user-rank.ts";
import { usersOf } from "./tenant-scope.ts";
import { type UserView, userView } from "./user-view.ts";

type UserRow = typeof users.$inferSelect;

/** A user the caller may see, with their tenant, as a read to batch with what is shown with it. */
export function userRead(p: Principal, id: string) {
  return mapRead(
    readQuery((db) =>
      db.select({ user: users, tenant: tenants }).from(users)
        .leftJoin(tenants, eq(tenants.id, users.tenantId))
        .where(and(eq(users.id, id), usersOf(p)))
    ),
    ([row]) => row,
  );
}

export function findUser(s: Services, p: Principal, id: string) {
  return runReads(s.database, userRead(p, id));
}

const notFound = () => fail<never>("not_found", "User not found");

export interface CreateUserInput {
  email: string;
  name: string;
  role: Role;
  permissions?: Permission[];
}

/**
 * Invites a user: the account exists at once (`invited`), and the mailed link lets them choose a
 * password. The plan's user limit is checked in the same statement that inserts.
 */
export async function createUser(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  input: CreateUserInput,
): Promise<Result<UserView>> {
  if (p.kind === "scrape" || !canAssign(p.role, input.role) || (p.tenantId && input.role === "super_admin")) {
    return fail("forbidden", `You cannot create users with the role ${input.role}`);
  }
  if (!p.tenantId && input.role !== "super_admin") {
    return fail(
      "bad_request",
      "Platform accounts are super admins; tenant users are created inside a tenant",
    );
  }
  const grants = input.permissions ?? [];
  const foreign = grants.filter((g) => !p.permissions.has(g));
  if (foreign.length > 0) {
    return fail("forbidden", `You cannot grant permissions you do not hold: ${foreign.join(", ")}`);
  }
  const [tenant] = p.tenantId
    ? await s.database.db.select().from(tenants).where(eq(tenants.id, p.tenantId))
    : [];
  const limit = tenant ? limitsOf(tenant.plan).users : Number.MAX_SAFE_INTEGER;
  const id = uuidv7();
  const now = s.clock.now();
  const email = input.email.trim().toLowerCase();
  const userRow = {
    id,
    tenantId: p.tenantId,
    email,
    name: input.name.trim(),
    role: input.role,
    permissions: grants,
    status: "invited" as const,
    createdAt: now,
    updatedAt: now,
  };
  let inserted: unknown[];
  try {
    const [userInsert] = await s.database.atomic((db) =>
      [
        insertWhere(db, users, userRow, sql`(select count(*) from ${users} where ${usersOf(p)}) < ${limit}`),
        auditInsertWhere(
          db,
          meta,
          {
            action: "user.create",
            targetType: "user",
            targetId: id,
            metadata: { email, role: input.role, grants },
          },
          now,
          sql`exists (select 1 from ${users} where ${users.id} = ${id})`,
        ),
      ] as const
    );
    inserted = resultRows(userInsert);
  } catch (err) {
    if (isUniqueViolation(err)) return fail("conflict", "A user with this email already exists");
    throw err;
  }
  if (inserted.length === 0) {
    return fail("quota_exceeded", `The ${tenant!.plan} plan allows ${limit} users; upgrade to add more`, {
      extensions: { limit: "users", max: limit },
    });
  }
  const inviter = meta.principal?.kind === "user"
    ? (await s.database.db.select({ name: users.name }).from(users).where(
      eq(users.id, meta.principal.userId),
    ))[0]
      ?.name
    : undefined;
  const token = await issueAccountToken(s.kv, "invitation", id);
  await s.mailer.send({
    ...invitationMail(
      email,
      input.name,
      inviter ?? "PyTake",
      tenant?.name ?? "PyTake",
      `${s.config.appUrl}/accept-invitation?token=${token}`,
      tenant?.settings?.language,
    ),
    tenantId: p.tenantId,
  });
  const row = await findUser(s, p, id);
  return ok(userView(row!.user, row!.tenant));
}

export interface UpdateUserInput {
  name?: string;
  role?: Role;
  status?: "active" | "disabled";
}

/** The last active owner of a tenant can be neither demoted, disabled nor deleted. */
function keepsAnOwner(target: UserRow) {
  return sql`(${users.role} <> 'owner' or (select count(*) from ${users} o
    where o.tenant_id = ${target.tenantId} and o.role = 'owner' and o.status = 'active'
      and o.deleted_at is null and o.id <> ${target.id}) > 0)`;
}

export async function updateUser(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
  input: UpdateUserInput,
): Promise<Result<UserView>> {
  const row = await findUser(s, p, id);
  if (!row) return notFound();
  const target = row.user;
  const self = p.kind === "user" && p.userId === id;
  if (p.kind === "scrape") return fail("forbidden", "Not allowed");
  if (!self && !canManage(p.role, target.role)) {
    return fail("forbidden", `You cannot manage a user with the role ${target.role}`);
  }
  if (input.role !== undefined && input.role !== target.role) {
    if (self) return fail("forbidden", "You cannot change your own role");
    if (!canAssign(p.role, input.role) || (p.tenantId && input.role === "super_admin")) {
      return fail("forbidden", `You cannot give the role ${input.role}`);
    }
  }
  if (input.status !== undefined && self && input.status !== target.status) {
    return fail("forbidden", "You cannot disable your own account");
  }
  if (input.status === "active" && target.status === "invited") {
    return fail("conflict", "An invited user becomes active by accepting the invitation");
  }
  const losesOwner = target.role === "owner" &&
    ((input.role !== undefined && input.role !== "owner") || input.status === "disabled");
  const now = s.clock.now();
  const changes = {
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.role !== undefined ? { role: input.role } : {}),
    ...(input.status !== undefined && target.status !== "invited" ? { status: input.status } : {}),
    updatedAt: now,
  };
  const [updated] = await s.database.atomic((db) =>
    [
      db.update(users).set(changes)
        .where(and(eq(users.id, id), losesOwner ? keepsAnOwner(target) : sql`true`))
        .returning({ id: users.id }),
      auditInsertWhere(
        db,
        meta,
        {
          action: input.role !== undefined && input.role !== target.role ? "user.role_change" : "user.update",
          targetType: "user",
          targetId: id,
          metadata: {
            before: { name: target.name, role: target.role, status: target.status },
            after: {
              name: changes.name ?? target.name,
              role: changes.role ?? target.role,
              status: changes.status ?? target.status,
            },
          },
        },
        now,
        sql`exists (select 1 from ${users} where ${and(eq(users.id, id), eq(users.updatedAt, now))})`,
      ),
    ] as const
  );
  if (updated.length === 0) return fail("conflict", "A tenant must keep at least one active owner");
  await forgetUser(s.kv, id);
  const fresh = await findUser(s, p, id);
  return ok(userView(fresh!.user, fresh!.tenant));
}

/**
 * Soft delete: the row stays so the audit log keeps naming its actor; the email becomes free
 * for a new account. Sessions and API keys of the user stop working at once.
 */
export async function deleteUser(
  s: Services,
  meta: RequestMeta,
  p: Principal,
  id: string,
): Promise<Result<null>> {
  const row = await findUser(s, p, id);
  if (!row) return notFound();
  const target = row.user;
  if (p.kind === "user" && p.userId === id) return fail("forbidden", "You cannot delete yourself");
  if (p.kind === "scrape" || !canManage(p.role, target.role)) {
    return fail("forbidden", `You cannot delete a user with the role ${target.role}`);
  }
  const now = s.clock.now();
  const [deleted] = await s.database.atomic((db) =>
    [
      db.update(users).set({ deletedAt: now, status: "disabled", updatedAt: now })
        .where(and(eq(users.id, id), keepsAnOwner(target))).returning({ id: users.id }),
      auditInsertWhere(
        db,
        meta,
        {
          action: "user.delete",
          targetType: "user",
          targetId: id,
          metadata: { email: target.email, role: target.role },
        },
        now,
        sql`exists (select 1 from ${users} where ${and(eq(users.id, id), eq(users.deletedAt, now))})`,
      ),
    ] as const
  );
  if (deleted.length === 0) return fail("conflict", "You cannot delete the last owner of the tenant");
  await forgetUser(s.kv, id);
  return ok(null);
}
