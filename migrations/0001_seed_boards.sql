-- Custom SQL migration file.
-- The four boards every Lantern forum starts with. Seeded once, by migration, so an admin's later edits stand.
INSERT INTO "boards" ("slug", "name", "description", "audience", "requires_content_warning", "position") VALUES
  ('triggers', 'Triggers and cravings', 'Talk through cravings and triggers with people who have been there. Every thread carries a content warning.', 'everyone', true, 1),
  ('relapse-prevention', 'Relapse prevention', 'Plans, tools and routines that help us stay on the path, and what to do after a slip.', 'everyone', false, 2),
  ('family', 'Family and friends', 'A space for the families and friends of people in recovery. Only the family circle and moderators can read it.', 'family', false, 3),
  ('general', 'General', 'Anything else: wins, questions, introductions, the everyday.', 'everyone', false, 4)
ON CONFLICT ("slug") DO NOTHING;
