-- A later change to a post or a thread (an edit, a removal, a redaction, a deletion, a thread held) rewrites
-- the data of its earlier events, so a resume never replays what the forum no longer shows (writeEvents in
-- src/live/outbox.ts). This index finds those events: the channel, then the id of the post or thread.
CREATE INDEX "events_subject_idx" ON "events" USING btree ("channel",("data"->>'id'));
