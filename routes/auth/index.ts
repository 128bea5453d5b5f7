import type { App } from "../../src/app.ts";
import { registerForgotPassword } from "./forgot-password.ts";
import { registerLogin } from "./login.ts";
import { registerLogout } from "./logout.ts";
import { registerMe } from "./me.ts";
import { registerRefresh } from "./refresh.ts";
import { registerRegister } from "./register.ts";
import { registerResetPassword } from "./reset-password.ts";
import { registerVerifyEmail } from "./verify-email.ts";

export function registerAuthRoutes(app: App): void {
  registerLogin(app);
  registerRegister(app);
  registerRefresh(app);
  registerLogout(app);
  registerMe(app);
  registerForgotPassword(app);
  registerResetPassword(app);
  registerVerifyEmail(app);
}
