-- Whether a report ranked its post's queue item as a crisis (its reason, or a note that reads as one), so that one
-- account's crisis reports can be counted: past REPORT_CRISIS_PER_HOUR in an hour they rank as ordinary reports
-- (src/forum/reports.ts). Reports made before this migration count by their reason.
ALTER TABLE "reports" ADD COLUMN "ranked_as_crisis" boolean DEFAULT false NOT NULL;--> statement-breakpoint
UPDATE "reports" SET "ranked_as_crisis" = true WHERE "reason" = 'crisis';
