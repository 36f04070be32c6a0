/**
 * A small hand-written story-site dataset for the read-path and API tests.
 * Every row is chosen to exercise one rule: ordering, the course-name
 * fallback, deleted / unpublished / NULL-flag stories, month boundaries.
 */
import type { Queryable } from 'tandem';

export const FIXTURE_SQL = `
INSERT INTO users (id, name) VALUES (1, 'u1'), (2, 'u2'), (3, 'u3');

INSERT INTO language (id, name, short, flag, flag_file, speaker, default_text, tts_replace, public, rtl) VALUES
  (1, 'English', 'en', 1.5, 'en.svg', 'en-US-Ava', 'Hello', NULL, true, false),
  (2, 'Español', 'es', NULL, NULL, NULL, NULL, 'a|b', true, false),
  (3, 'Deutsch', 'de', NULL, NULL, NULL, NULL, NULL, false, false),
  (4, 'العربية', 'ar', NULL, NULL, NULL, NULL, NULL, true, true);

INSERT INTO image (id, active, gilded, locked, active_lip, gilded_lip) VALUES
  ('img1', 'a.svg', 'g.svg', 'l.svg', 'ff0000', '00ff00');

INSERT INTO speaker (id, language_id, speaker, gender, type, service) VALUES
  (1, 1, 'en-US-Ava', 'FEMALE', 'NEURAL', 'azure');

INSERT INTO avatar (id, link, name) VALUES (1, 'link1', 'Anna'), (2, 'link2', NULL);
INSERT INTO avatar_mapping (id, avatar_id, language_id, name, speaker) VALUES
  (10, 2, 1, 'B', 'sp2'),
  (11, 1, 1, NULL, NULL),
  (12, 1, 2, 'Ana', 'es-1');

INSERT INTO localization (id, language_id, tag, text) VALUES
  (1, 1, 'hello', 'Hello'), (2, 1, 'bye', 'Bye'), (3, 2, 'hello', 'Hola');

INSERT INTO course (id, short, learning_language, from_language, public, official, name, about, conlang, tags,
                    count, learning_language_name, from_language_name, contributors, contributors_past, todo_count) VALUES
  (1, 'es-en', 2, 1, true, true, NULL, 'Learn Spanish', false, '{beginner,official}', 3, 'Español', 'English', '{u1}', '{u3}', 5),
  (2, 'de-en', 3, 1, true, false, '', NULL, NULL, NULL, 1, 'Deutsch', 'English', '{}', '{}', 0),
  (3, 'en-de', 1, 3, true, false, 'English for Germans', NULL, false, '{}', 0, 'English', 'Deutsch', '{}', '{}', 0),
  (4, 'ar-en', 4, 1, false, false, NULL, NULL, false, NULL, 1, 'العربية', 'English', '{}', '{}', 2);

INSERT INTO story (id, duo_id, name, set_id, set_index, author, author_change, date, change_date, date_published,
                   text, public, image, course_id, json, status, deleted, todo_count) VALUES
  (1, 'd1', 'One', 1, 2, 1, 2, '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', '2024-03-31T23:59:59.999Z',
      '> Hola', true, 'img1', 1, '{"lines":[{"t":"Hola"}]}', 'finished', false, 2),
  (2, 'd2', 'Two', 1, 1, 1, NULL, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-04-01T00:00:00Z',
      't2', true, NULL, 1, NULL, 'finished', false, 0),
  (3, 'd3', 'Gone', 2, 1, 1, NULL, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-03-02T00:00:00Z',
      't3', true, NULL, 1, NULL, 'finished', true, 7),
  (4, 'd4', 'Draft', 1, 3, 2, 2, '2024-01-01T00:00:00Z', '2024-02-05T12:30:00Z', NULL,
      't4', false, NULL, 1, NULL, 'feedback', false, 3),
  (5, 'd5', 'NullFlags', 2, 0, 1, NULL, '2024-01-01T00:00:00Z', NULL, '2024-03-01T00:00:00Z',
      't5', true, NULL, 1, NULL, 'draft', NULL, 0),
  (6, 'd6', 'German', 1, 1, 1, NULL, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-02-10T00:00:00Z',
      't6', true, NULL, 2, NULL, 'draft', false, 0),
  (7, 'd7', 'Arabic', 1, 1, 1, NULL, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2024-03-10T00:00:00Z',
      't7', true, NULL, 4, NULL, 'draft', false, 2);

INSERT INTO story_approval (id, story_id, user_id, date) VALUES
  (1, 1, 1, '2024-03-01T00:00:00Z'), (2, 1, 2, '2024-03-02T00:00:00Z'), (3, 4, 1, '2024-03-03T00:00:00Z'),
  (4, 3, 2, '2024-03-03T00:00:00Z');

INSERT INTO story_done (id, user_id, story_id, time) VALUES
  (1, 1, 1, '2024-03-10T10:00:00Z'),
  (2, 1, 1, '2024-03-31T23:59:59.999Z'),
  (3, 1, 2, '2024-04-01T00:00:00Z'),
  (4, 2, 1, '2024-03-15T00:00:00Z'),
  (5, NULL, 6, '2024-03-20T00:00:00Z'),
  (6, 2, 6, '2024-02-29T23:59:59.999Z'),
  (7, 1, 3, '2024-03-05T00:00:00Z'),
  (8, 3, 6, '2024-03-21T00:00:00Z');

-- Explicit ids above leave the serial sequences behind; move them past the rows.
SELECT setval(pg_get_serial_sequence(t, 'id'), 100)
  FROM unnest(ARRAY['users', 'language', 'avatar', 'speaker', 'localization', 'avatar_mapping',
                    'course', 'story', 'story_approval', 'story_done']) AS t;
`;

export async function insertReadFixture(db: Queryable): Promise<void> {
  await db.query(FIXTURE_SQL);
}
