DROP INDEX "conversations_tenant_activity_idx";--> statement-breakpoint
DROP INDEX "conversations_tenant_status_idx";--> statement-breakpoint
DROP INDEX "conversations_tenant_assignee_idx";--> statement-breakpoint
CREATE INDEX "conversations_open_activity_idx" ON "conversations" USING btree ("tenant_id","last_message_at" DESC NULLS LAST,"id" DESC NULLS FIRST) WHERE "conversations"."status" in ('active', 'waiting');--> statement-breakpoint
CREATE INDEX "conversations_tenant_activity_idx" ON "conversations" USING btree ("tenant_id","last_message_at" DESC NULLS LAST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "conversations_tenant_status_idx" ON "conversations" USING btree ("tenant_id","status","last_message_at" DESC NULLS LAST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "conversations_tenant_assignee_idx" ON "conversations" USING btree ("tenant_id","assigned_to","last_message_at" DESC NULLS LAST,"id" DESC NULLS FIRST);