-- Event positions are drawn at COMMIT, under one transaction-scoped advisory lock, by a deferred trigger:
-- the lock is held only while PostgreSQL commits (no round trip to the application), and positions follow
-- commit order, so a reader resuming after position N can never miss an event that committed late.
CREATE SEQUENCE events_position_seq;
--> statement-breakpoint
UPDATE events SET position = id WHERE position IS NULL;
--> statement-breakpoint
SELECT setval('events_position_seq', coalesce((SELECT max(position) FROM events), 0) + 1, false);
--> statement-breakpoint
CREATE FUNCTION events_assign_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1280263508);
  UPDATE events SET position = nextval('events_position_seq') WHERE id = NEW.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER events_position_at_commit
  AFTER INSERT ON events
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION events_assign_position();
