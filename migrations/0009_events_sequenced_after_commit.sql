-- Event positions were drawn at COMMIT by a deferred trigger under one advisory lock: every transaction that
-- wrote an event (every write in Lantern) queued for that lock while it flushed its commit, holding its row
-- locks meanwhile, so writes could never commit side by side. Positions are now given after commit, in
-- rounds, by events_sequence(): under the same lock, the events committed so far and still without a position
-- get the next positions, in id order. A round sees only committed events, and the next round's positions are
-- all higher, so a reader resuming after position N still never misses an event. The instance that wrote an
-- event runs a round before it reads the outbox and before it notifies the others; every instance's periodic
-- read runs one too, so an event whose writer died right after its commit gets its position all the same.
DROP TRIGGER events_position_at_commit ON events;
--> statement-breakpoint
DROP FUNCTION events_assign_position();
--> statement-breakpoint
CREATE FUNCTION events_sequence() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- Nothing waiting (the usual case for the other instances): no lock taken.
  IF NOT EXISTS (SELECT 1 FROM events WHERE position IS NULL) THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(1280263508);
  -- A fresh snapshot after the lock: it sees every position the previous round committed.
  UPDATE events e SET position = numbered.position
    FROM (SELECT id, nextval('events_position_seq') AS position
            FROM (SELECT id FROM events WHERE position IS NULL ORDER BY id) pending) numbered
   WHERE e.id = numbered.id;
END;
$$;
--> statement-breakpoint
CREATE INDEX "events_unpositioned_idx" ON "events" USING btree ("id") WHERE "events"."position" is null;
