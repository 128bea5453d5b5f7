ALTER TABLE "conversations" ADD COLUMN "status_changed_at" timestamp with time zone;--> statement-breakpoint
UPDATE "conversations" SET "status_changed_at" = coalesce("resolved_at", "archived_at", "created_at");--> statement-breakpoint
CREATE OR REPLACE FUNCTION conversations_stamp_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.status_changed_at := coalesce(NEW.status_changed_at, NEW.created_at);
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    NEW.status_changed_at := NEW.updated_at;
  END IF;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER conversations_stamp_status BEFORE INSERT OR UPDATE OF status ON "conversations"
  FOR EACH ROW EXECUTE FUNCTION conversations_stamp_status();
