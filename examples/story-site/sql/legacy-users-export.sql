-- The user ids the story site's Convex write paths check authors and readers
-- against (writes/users:saveLegacyUsers), read before a write group moves to
-- Convex. In production this list comes from the auth system's export; the
-- demo reads it from the legacy `users` table. It lives in sql/ and not in
-- src/ for the reason sample-users-insert.sql gives: runtime code under src/
-- never carries SQL on the legacy auth tables (the guard fails CI on it).
SELECT id FROM users ORDER BY id
