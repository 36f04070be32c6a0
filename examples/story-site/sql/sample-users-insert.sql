-- Seeds the legacy `users` table for `tandem sample`, so that the sample's
-- user-id foreign keys (story.author, story_approval.user_id, ...) resolve.
-- It lives in sql/ and not in src/ on purpose: runtime code under src/ must
-- never carry SQL that touches the legacy auth tables (the guard fails CI on
-- it), and sample data is the only place that needs to write them.
--
-- $1, $2: first and last user id (inclusive). One statement, so it can run
-- with bound parameters. Names follow sampleUserName() in
-- src/app/userDirectory.ts exactly: 'user' + the id zero-padded to 5 digits,
-- never truncated (123456 -> 'user123456'); a test checks the two agree.
-- The serial sequence is moved past the inserted ids so that later inserts
-- by the application do not collide.
WITH inserted AS (
  INSERT INTO users (id, name, email)
  SELECT g, named.name, named.name || '@sample.invalid'
    FROM generate_series($1::int, $2::int) AS g,
         LATERAL (SELECT 'user' || lpad(g::text, greatest(5, length(g::text)), '0') AS name) AS named
  RETURNING id
)
SELECT count(*)::int AS inserted,
       setval(pg_get_serial_sequence('users', 'id'), max(id)) AS sequence_value
  FROM inserted
