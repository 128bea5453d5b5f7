CREATE TABLE "erp_call_logs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"erp_type" text NOT NULL,
	"operation" text NOT NULL,
	"method" text NOT NULL,
	"endpoint" text NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer,
	"latency_ms" integer NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"cache_miss" boolean DEFAULT false NOT NULL,
	"error" text,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erp_connections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"erp_type" text NOT NULL,
	"api_url" text,
	"credentials" text,
	"webhook_secret_hash" text,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text NOT NULL,
	"remote_info" jsonb,
	"last_error" text,
	"last_checked_at" timestamp with time zone,
	"connected_at" timestamp with time zone,
	"disconnected_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erp_sandbox_contracts" (
	"tenant_id" uuid NOT NULL,
	"id" text NOT NULL,
	"customer_id" text NOT NULL,
	"plan_id" text NOT NULL,
	"status" text NOT NULL,
	"login" text NOT NULL,
	"online" boolean NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"ip" text,
	"mac" text NOT NULL,
	"equipment" text NOT NULL,
	"unlocked_at" timestamp with time zone,
	"unlocked_until" date,
	CONSTRAINT "erp_sandbox_contracts_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "erp_sandbox_customers" (
	"tenant_id" uuid NOT NULL,
	"id" text NOT NULL,
	"document" text NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"phones" text[] NOT NULL,
	"address" jsonb NOT NULL,
	"cancelled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "erp_sandbox_customers_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "erp_sandbox_invoices" (
	"tenant_id" uuid NOT NULL,
	"id" text NOT NULL,
	"customer_id" text NOT NULL,
	"contract_id" text NOT NULL,
	"description" text NOT NULL,
	"due_date" date NOT NULL,
	"amount_cents" bigint NOT NULL,
	"status" text NOT NULL,
	"paid_at" timestamp with time zone,
	"linha_digitavel" text NOT NULL,
	"barcode" text NOT NULL,
	"pix" text NOT NULL,
	CONSTRAINT "erp_sandbox_invoices_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "erp_sandbox_tickets" (
	"tenant_id" uuid NOT NULL,
	"id" text NOT NULL,
	"protocol" text NOT NULL,
	"customer_id" text NOT NULL,
	"contract_id" text,
	"type" text NOT NULL,
	"subject" text,
	"status" text NOT NULL,
	"messages" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "erp_sandbox_tickets_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "erp_syncs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"erp_type" text NOT NULL,
	"created_by" uuid,
	"mode" text NOT NULL,
	"documents" jsonb,
	"status" text DEFAULT 'queued' NOT NULL,
	"cursor" text,
	"runs" integer DEFAULT 0 NOT NULL,
	"total" integer,
	"processed" integer DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"report" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erp_unlocks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"erp_type" text NOT NULL,
	"customer_id" text NOT NULL,
	"contract_id" text,
	"until" date,
	"protocol" text,
	"requested_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erp_webhook_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"erp_type" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"raw_body" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "erp_connections" ADD CONSTRAINT "erp_connections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_syncs" ADD CONSTRAINT "erp_syncs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_syncs" ADD CONSTRAINT "erp_syncs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "erp_call_logs_tenant_idx" ON "erp_call_logs" USING btree ("tenant_id","erp_type","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "erp_connections_tenant_type_key" ON "erp_connections" USING btree ("tenant_id","erp_type");--> statement-breakpoint
CREATE UNIQUE INDEX "erp_connections_webhook_key" ON "erp_connections" USING btree ("webhook_secret_hash") WHERE "erp_connections"."webhook_secret_hash" is not null;--> statement-breakpoint
CREATE INDEX "erp_sandbox_contracts_customer_idx" ON "erp_sandbox_contracts" USING btree ("tenant_id","customer_id");--> statement-breakpoint
CREATE INDEX "erp_sandbox_customers_document_idx" ON "erp_sandbox_customers" USING btree ("tenant_id","document");--> statement-breakpoint
CREATE INDEX "erp_sandbox_invoices_customer_idx" ON "erp_sandbox_invoices" USING btree ("tenant_id","customer_id","due_date");--> statement-breakpoint
CREATE INDEX "erp_sandbox_tickets_customer_idx" ON "erp_sandbox_tickets" USING btree ("tenant_id","customer_id");--> statement-breakpoint
CREATE INDEX "erp_syncs_tenant_idx" ON "erp_syncs" USING btree ("tenant_id","erp_type","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "erp_syncs_one_running_key" ON "erp_syncs" USING btree ("tenant_id","erp_type") WHERE "erp_syncs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "erp_unlocks_customer_idx" ON "erp_unlocks" USING btree ("tenant_id","erp_type","customer_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "erp_webhook_events_dedupe_key" ON "erp_webhook_events" USING btree ("connection_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "erp_webhook_events_pending_idx" ON "erp_webhook_events" USING btree ("received_at") WHERE "erp_webhook_events"."status" = 'pending';