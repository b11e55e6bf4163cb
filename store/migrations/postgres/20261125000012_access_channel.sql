-- Through which channel a resident's data was read, and how (a page, a
-- case list, the command line with its operating-system user, ...).
-- Entries from before stay without a channel.
ALTER TABLE access_log ADD COLUMN channel TEXT;
ALTER TABLE access_log ADD COLUMN detail TEXT;
