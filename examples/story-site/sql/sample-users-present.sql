-- Whether the legacy `users` table already holds rows (then `tandem sample`
-- refuses to run without --force). In sql/ for the reason given in
-- sample-users-insert.sql: no SQL on legacy auth tables under src/.
SELECT EXISTS (SELECT 1 FROM users) AS present
