-- A film-rental application's schema (after the classic sample databases):
-- the second example Tandem is proven on, unlike the story site in every way
-- that matters to a migration tool. Used by test/examples/filmRental.test.ts,
-- and usable by hand: psql -f examples/film-rental/schema.sql, then
-- examples/film-rental/seed.sql.
--
--   text, uuid and composite keys (one with a timestamptz part)
--   a partitioned table (payment, by month range)
--   enums, an array of an enum, a domain
--   numeric, bytea, char(n), date, tsvector, text[]
--   a self-reference (category.parent_id)
--   a two-table foreign-key cycle (store.manager_id <-> staff.store_code)
--   a table without a key (audit_log), a view and a materialized view

CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
CREATE DOMAIN release_year AS integer CHECK (VALUE BETWEEN 1888 AND 2155);

CREATE TABLE language (
  language_id smallint PRIMARY KEY,
  name char(20) NOT NULL,
  last_update timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE category (
  category_id integer PRIMARY KEY,
  name text NOT NULL,
  parent_id integer REFERENCES category (category_id)
);

CREATE TABLE actor (
  actor_id uuid PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL
);

CREATE TABLE film (
  film_id integer PRIMARY KEY,
  title text NOT NULL,
  description text,
  release_year release_year,
  language_id smallint NOT NULL REFERENCES language (language_id),
  category_id integer REFERENCES category (category_id),
  rental_rate numeric(4, 2) NOT NULL DEFAULT 4.99,
  rating mpaa_rating DEFAULT 'G',
  past_ratings mpaa_rating[],
  special_features text[],
  poster bytea,
  fulltext tsvector
);

CREATE TABLE film_actor (
  actor_id uuid NOT NULL REFERENCES actor (actor_id),
  film_id integer NOT NULL REFERENCES film (film_id),
  PRIMARY KEY (actor_id, film_id)
);

CREATE TABLE store (
  store_code text PRIMARY KEY,
  manager_id integer
);

CREATE TABLE staff (
  staff_id integer PRIMARY KEY,
  store_code text NOT NULL REFERENCES store (store_code),
  name text NOT NULL
);

ALTER TABLE store ADD CONSTRAINT store_manager_fk
  FOREIGN KEY (manager_id) REFERENCES staff (staff_id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE inventory (
  inventory_id bigint PRIMARY KEY,
  film_id integer NOT NULL REFERENCES film (film_id),
  store_code text NOT NULL REFERENCES store (store_code)
);

CREATE TABLE rental (
  rented_at timestamptz NOT NULL,
  inventory_id bigint NOT NULL REFERENCES inventory (inventory_id),
  customer text NOT NULL,
  returned_on date,
  PRIMARY KEY (rented_at, inventory_id)
);

CREATE TABLE payment (
  payment_id bigint NOT NULL,
  paid_on date NOT NULL,
  amount numeric(8, 2) NOT NULL,
  rented_at timestamptz,
  inventory_id bigint,
  PRIMARY KEY (payment_id, paid_on),
  FOREIGN KEY (rented_at, inventory_id) REFERENCES rental (rented_at, inventory_id)
) PARTITION BY RANGE (paid_on);
CREATE TABLE payment_2024_h1 PARTITION OF payment FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE payment_2024_h2 PARTITION OF payment FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');

CREATE TABLE audit_log (
  at timestamptz NOT NULL DEFAULT now(),
  message text NOT NULL
);

CREATE VIEW film_list AS
  SELECT f.film_id, f.title, l.name AS language FROM film f JOIN language l USING (language_id);
CREATE MATERIALIZED VIEW rentals_per_store AS
  SELECT i.store_code, count(*) AS rentals FROM rental r JOIN inventory i USING (inventory_id)
   GROUP BY i.store_code;
