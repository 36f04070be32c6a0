-- `tandem sample --force`: empties the ten story-site tables and the legacy
-- `users` table and restarts their sequences, before regenerating.
-- In sql/ for the reason given in sample-users-insert.sql: no SQL on legacy
-- auth tables under src/. CASCADE also empties any other table holding a
-- foreign key to these (in a legacy database: accounts and sessions), which is
-- why the command refuses to run on non-empty tables unless forced.
TRUNCATE story_done, story_approval, story, course, avatar_mapping, localization,
         speaker, avatar, image, language, users
  RESTART IDENTITY CASCADE
