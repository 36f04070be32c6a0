-- The story site's tables as the legacy application created them (DOMAIN.md).
-- Kept outside src/ on purpose: it creates the legacy `users` table, which
-- runtime code under src/ must never touch (the guard enforces that).
-- Used only by `tandem sample`, the demo and the tests: against a real
-- application, the tables already exist and this file is never run.
-- Every statement is idempotent, so it can be applied to a database that has
-- some or all of the tables already.

DO $$ BEGIN
  CREATE TYPE gender_enum AS ENUM ('MALE', 'FEMALE');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

DO $$ BEGIN
  CREATE TYPE type_enum AS ENUM ('NORMAL', 'NEURAL');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

DO $$ BEGIN
  CREATE TYPE story_status AS ENUM ('draft', 'feedback', 'finished');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

-- Minimal legacy auth table: only so that user-id foreign keys resolve.
CREATE TABLE IF NOT EXISTS users (
  id serial PRIMARY KEY,
  name varchar(255),
  email varchar(255) UNIQUE
);

CREATE TABLE IF NOT EXISTS image (
  id varchar(50) PRIMARY KEY,
  active varchar(255) NOT NULL,
  gilded varchar(255) NOT NULL,
  locked varchar(255) NOT NULL,
  active_lip varchar(6) NOT NULL,
  gilded_lip varchar(6) NOT NULL
);

CREATE TABLE IF NOT EXISTS language (
  id serial PRIMARY KEY,
  name varchar(100) NOT NULL,
  short varchar(10) NOT NULL UNIQUE,
  flag double precision,
  flag_file varchar(50),
  speaker varchar(50),
  default_text varchar(100),
  tts_replace text,
  public boolean NOT NULL DEFAULT false,
  rtl boolean NOT NULL DEFAULT false
);

CREATE TABLE IF NOT EXISTS avatar (
  id serial PRIMARY KEY,
  link varchar(100) NOT NULL,
  name varchar(100)
);

CREATE TABLE IF NOT EXISTS speaker (
  id serial PRIMARY KEY,
  language_id integer NOT NULL REFERENCES language (id),
  speaker varchar(50) NOT NULL UNIQUE,
  gender gender_enum NOT NULL,
  type type_enum NOT NULL,
  service varchar(50) NOT NULL
);

CREATE TABLE IF NOT EXISTS localization (
  id serial PRIMARY KEY,
  language_id integer NOT NULL REFERENCES language (id),
  tag varchar(100) NOT NULL,
  text text NOT NULL,
  UNIQUE (language_id, tag)
);

CREATE TABLE IF NOT EXISTS avatar_mapping (
  id serial PRIMARY KEY,
  avatar_id integer NOT NULL REFERENCES avatar (id),
  language_id integer NOT NULL REFERENCES language (id),
  name varchar(100),
  speaker varchar(100),
  UNIQUE (avatar_id, language_id)
);

CREATE TABLE IF NOT EXISTS course (
  id serial PRIMARY KEY,
  short varchar(20) UNIQUE,
  learning_language integer REFERENCES language (id),
  from_language integer REFERENCES language (id),
  public boolean NOT NULL DEFAULT false,
  official boolean NOT NULL DEFAULT false,
  name varchar(255),
  about text,
  conlang boolean DEFAULT false,
  tags varchar(20)[],
  count integer,
  learning_language_name varchar(255),
  from_language_name varchar(255),
  contributors varchar(255)[] NOT NULL DEFAULT '{}',
  contributors_past varchar(255)[] NOT NULL DEFAULT '{}',
  todo_count integer NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS story (
  id serial PRIMARY KEY,
  duo_id varchar(50),
  name varchar(255),
  set_id integer NOT NULL,
  set_index integer NOT NULL,
  author integer REFERENCES users (id),
  author_change integer REFERENCES users (id),
  date timestamptz DEFAULT now(),
  change_date timestamptz DEFAULT now(),
  date_published timestamptz,
  text text,
  public boolean DEFAULT false,
  image varchar(50) REFERENCES image (id),
  course_id integer REFERENCES course (id),
  json jsonb,
  status story_status DEFAULT 'draft',
  deleted boolean DEFAULT false,
  todo_count integer NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS story_approval (
  id serial PRIMARY KEY,
  story_id integer REFERENCES story (id) ON DELETE CASCADE,
  user_id integer REFERENCES users (id),
  date timestamptz DEFAULT now(),
  UNIQUE (story_id, user_id)
);

CREATE TABLE IF NOT EXISTS story_done (
  id serial PRIMARY KEY,
  user_id integer REFERENCES users (id),
  story_id integer REFERENCES story (id) ON DELETE CASCADE,
  time timestamptz DEFAULT now()
);

-- Indexes the read paths rely on (the legacy database has equivalents).
CREATE INDEX IF NOT EXISTS story_course_idx ON story (course_id, set_id, set_index);
CREATE INDEX IF NOT EXISTS story_duo_idx ON story (duo_id, course_id);
CREATE INDEX IF NOT EXISTS story_done_story_idx ON story_done (story_id);
CREATE INDEX IF NOT EXISTS story_done_user_idx ON story_done (user_id, story_id);
CREATE INDEX IF NOT EXISTS story_done_time_idx ON story_done (time);
CREATE INDEX IF NOT EXISTS story_approval_story_idx ON story_approval (story_id);
