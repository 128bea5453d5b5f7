import type { App } from "../../src/app.ts";
import { registerUserActivity } from "./activity.ts";
import { registerApiKeys } from "./api-keys.ts";
import { registerChangePassword } from "./change-password.ts";
import { registerCreateUser } from "./create.ts";
import { registerDeleteUser } from "./delete.ts";
import { registerGetUser } from "./get.ts";
import { registerListUsers } from "./list.ts";
import { registerUserPermissions } from "./permissions.ts";
import { registerListRoles } from "./roles.ts";
import { registerUpdateUser } from "./update.ts";

export function registerUserRoutes(app: App): void {
  registerListUsers(app);
  registerCreateUser(app);
  registerGetUser(app);
  registerUpdateUser(app);
  registerDeleteUser(app);
  registerChangePassword(app);
  registerListRoles(app);
  registerUserPermissions(app);
  registerUserActivity(app);
  registerApiKeys(app);
}
