import type { App } from "../../src/app.ts";
import { registerContactCrud } from "./crud.ts";
import { registerContactTransfer } from "./transfer.ts";

export function registerContactRoutes(app: App): void {
  // Static segments (`/contacts/search`, `/contacts/export`, `/contacts/imports`) before `{id}`.
  registerContactTransfer(app);
  registerContactCrud(app);
}
