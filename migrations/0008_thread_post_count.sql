ALTER TABLE "threads" ADD COLUMN "post_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- A thread's post count was counted on every read of a thread or a board list and on every reply: cost
-- that grew with the thread. It is kept here instead, exactly, by the database itself, whatever changes a
-- post's visibility (a reply, a hold, an approval, a removal, a deletion).
UPDATE "threads" SET "post_count" = (
  SELECT count(*) FROM "posts" p WHERE p."thread_id" = "threads"."id" AND p."published_at" IS NOT NULL AND p."state" <> 'held'
);
--> statement-breakpoint
CREATE FUNCTION posts_count_in_thread() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := 0;
  thread uuid;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    thread := OLD.thread_id;
    IF OLD.published_at IS NOT NULL AND OLD.state <> 'held' THEN delta := delta - 1; END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    thread := NEW.thread_id;
    IF NEW.published_at IS NOT NULL AND NEW.state <> 'held' THEN delta := delta + 1; END IF;
  END IF;
  IF delta <> 0 THEN
    UPDATE "threads" SET "post_count" = "post_count" + delta WHERE "id" = thread;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER posts_count_in_thread
  AFTER INSERT OR DELETE OR UPDATE OF "state", "published_at" ON "posts"
  FOR EACH ROW EXECUTE FUNCTION posts_count_in_thread();
