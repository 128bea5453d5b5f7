CREATE TABLE "contacts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"wa_id" text,
	"name" text,
	"profile_name" text,
	"email" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"opt_in" boolean,
	"opt_in_at" timestamp with time zone,
	"opt_out_at" timestamp with time zone,
	"blocked" boolean DEFAULT false NOT NULL,
	"last_seen_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"config_id" uuid NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"priority" text DEFAULT 'normal' NOT NULL,
	"assigned_to" uuid,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"window_expires_at" timestamp with time zone,
	"last_message_at" timestamp with time zone,
	"last_inbound_at" timestamp with time zone,
	"unread_count" integer DEFAULT 0 NOT NULL,
	"first_response_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "message_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"config_id" uuid NOT NULL,
	"message_id" uuid,
	"provider_message_id" text NOT NULL,
	"status" text NOT NULL,
	"error_code" text,
	"error_title" text,
	"detail" jsonb,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"config_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"type" text NOT NULL,
	"content" jsonb NOT NULL,
	"body" text,
	"status" text NOT NULL,
	"provider_message_id" text,
	"reply_to" text,
	"sender_type" text NOT NULL,
	"sender_user_id" uuid,
	"error_code" text,
	"error_title" text,
	"error_detail" text,
	"retry_of" uuid,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"read_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"timestamp" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_counters" (
	"tenant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"metric" text NOT NULL,
	"value" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"tenant_id" uuid,
	"config_id" uuid,
	"dedupe_key" text NOT NULL,
	"raw_body" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "whatsapp_configs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"phone_number" text NOT NULL,
	"api_type" text NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"phone_number_id" text,
	"business_account_id" text,
	"instance_name" text,
	"base_url" text,
	"credentials" text NOT NULL,
	"verify_token_hash" text,
	"connection_state" text DEFAULT 'unknown' NOT NULL,
	"quality_rating" text,
	"messaging_tier" text,
	"display_name" text,
	"last_error" text,
	"last_checked_at" timestamp with time zone,
	"throughput_per_second" integer DEFAULT 80 NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_config_id_whatsapp_configs_id_fk" FOREIGN KEY ("config_id") REFERENCES "public"."whatsapp_configs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_assigned_to_users_id_fk" FOREIGN KEY ("assigned_to") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_config_id_whatsapp_configs_id_fk" FOREIGN KEY ("config_id") REFERENCES "public"."whatsapp_configs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_sender_user_id_users_id_fk" FOREIGN KEY ("sender_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "whatsapp_configs" ADD CONSTRAINT "whatsapp_configs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "contacts_tenant_phone_key" ON "contacts" USING btree ("tenant_id","phone") WHERE "contacts"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "contacts_tenant_wa_idx" ON "contacts" USING btree ("tenant_id","wa_id");--> statement-breakpoint
CREATE INDEX "contacts_tenant_created_idx" ON "contacts" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "conversations_one_open_key" ON "conversations" USING btree ("contact_id","config_id") WHERE "conversations"."status" in ('active', 'waiting');--> statement-breakpoint
CREATE INDEX "conversations_tenant_activity_idx" ON "conversations" USING btree ("tenant_id","last_message_at");--> statement-breakpoint
CREATE INDEX "conversations_contact_idx" ON "conversations" USING btree ("contact_id","created_at");--> statement-breakpoint
CREATE INDEX "message_events_message_idx" ON "message_events" USING btree ("message_id","occurred_at");--> statement-breakpoint
CREATE INDEX "message_events_orphan_idx" ON "message_events" USING btree ("config_id","provider_message_id") WHERE "message_events"."message_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "message_events_once_key" ON "message_events" USING btree ("config_id","provider_message_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_provider_id_key" ON "messages" USING btree ("config_id","provider_message_id") WHERE "messages"."provider_message_id" is not null;--> statement-breakpoint
CREATE INDEX "messages_conversation_idx" ON "messages" USING btree ("conversation_id","timestamp");--> statement-breakpoint
CREATE INDEX "messages_tenant_time_idx" ON "messages" USING btree ("tenant_id","timestamp");--> statement-breakpoint
CREATE INDEX "messages_body_search_idx" ON "messages" USING gin (f_unaccent(lower("body")) gin_trgm_ops);--> statement-breakpoint
CREATE UNIQUE INDEX "usage_counters_key" ON "usage_counters" USING btree ("tenant_id","period","metric");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_dedupe_key" ON "webhook_events" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "webhook_events_pending_idx" ON "webhook_events" USING btree ("received_at") WHERE "webhook_events"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_events_tenant_idx" ON "webhook_events" USING btree ("tenant_id","received_at");--> statement-breakpoint
CREATE INDEX "whatsapp_configs_tenant_idx" ON "whatsapp_configs" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "whatsapp_configs_phone_number_id_key" ON "whatsapp_configs" USING btree ("phone_number_id") WHERE "whatsapp_configs"."phone_number_id" is not null and "whatsapp_configs"."deleted_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "whatsapp_configs_instance_key" ON "whatsapp_configs" USING btree ("base_url","instance_name") WHERE "whatsapp_configs"."instance_name" is not null and "whatsapp_configs"."deleted_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "whatsapp_configs_tenant_phone_key" ON "whatsapp_configs" USING btree ("tenant_id","phone_number") WHERE "whatsapp_configs"."deleted_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "whatsapp_configs_one_default_key" ON "whatsapp_configs" USING btree ("tenant_id") WHERE "whatsapp_configs"."is_default" and "whatsapp_configs"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "whatsapp_configs_verify_token_idx" ON "whatsapp_configs" USING btree ("verify_token_hash");