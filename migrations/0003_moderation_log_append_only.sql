-- The moderation log is append-only: nothing, not even a bug in the API, may rewrite the record.
CREATE FUNCTION moderation_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'moderation_log is append-only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER moderation_log_append_only
  BEFORE UPDATE OR DELETE ON moderation_log
  FOR EACH ROW EXECUTE FUNCTION moderation_log_is_append_only();
--> statement-breakpoint
INSERT INTO rule_set (id, revision) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
