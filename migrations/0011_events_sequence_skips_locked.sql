-- A round of events_sequence() (migration 0009) waited for the row lock of any transaction that was rewriting a
-- committed event still without a position (news of a post or a thread rewrites its earlier events: writeEvents in
-- src/live/outbox.ts), and waited holding the advisory lock every other round needs: one stalled writer (a frozen
-- instance, a network cut before COMMIT) stopped live delivery on every instance, every resume and every start.
-- A round now takes the waiting events it can lock at once (FOR UPDATE SKIP LOCKED) and numbers those, in id
-- order; an event being rewritten gets its position in a round after its rewriter ends. Positions are still
-- drawn under the advisory lock only, a round's all at once and every later round's all higher, so a reader
-- resuming after position N still never misses an event: one numbered late is above every cursor given before it.
-- An event of a post or a thread (a channel and data.id) whose earlier event on the same channel is being
-- rewritten waits with it, so each one's news keeps its order; other events of the channel go on.
CREATE OR REPLACE FUNCTION events_sequence() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- Nothing waiting (the usual case for the other instances): no lock taken.
  IF NOT EXISTS (SELECT 1 FROM events WHERE position IS NULL) THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(1280263508);
  -- A fresh snapshot after the lock: it sees every position the previous round committed.
  WITH pending AS MATERIALIZED (
    SELECT id, channel, data->>'id' AS subject
      FROM events WHERE position IS NULL ORDER BY id FOR UPDATE SKIP LOCKED
  ), rewriting AS MATERIALIZED (
    SELECT id, channel, data->>'id' AS subject
      FROM events WHERE position IS NULL AND id NOT IN (SELECT id FROM pending)
  ), numbered AS MATERIALIZED (
    SELECT id, nextval('events_position_seq') AS position
      FROM pending p
     WHERE NOT EXISTS (SELECT 1 FROM rewriting r
                        WHERE r.channel = p.channel AND r.subject IS NOT DISTINCT FROM p.subject AND r.id < p.id)
     ORDER BY id
  )
  UPDATE events e SET position = numbered.position FROM numbered WHERE e.id = numbered.id;
END;
$$;
