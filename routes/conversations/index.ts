import type { App } from "../../src/app.ts";
import { registerConversationCrud } from "./crud.ts";
import { registerConversationExport, registerConversationStats } from "./export.ts";
import { registerConversationTeamRoutes } from "./team.ts";

export function registerConversationRoutes(app: App): void {
  // `/conversations/stats` before `/conversations/{id}`: a static segment wins.
  registerConversationStats(app);
  registerConversationCrud(app);
  registerConversationTeamRoutes(app);
  registerConversationExport(app);
}
