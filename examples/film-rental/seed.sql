-- Deterministic rows for examples/film-rental/schema.sql: a few hundred rows,
-- edge values included (NULLs, a multi-byte title, a bytea with every byte,
-- rentals at microsecond timestamps, payments in both partitions).
INSERT INTO language VALUES (1, 'English', '2024-01-01T00:00:00Z'), (2, '日本語', '2024-01-01T00:00:00Z');
INSERT INTO category VALUES (1, 'Drama', NULL), (2, 'Family drama', 1), (3, 'Comedy', NULL);
INSERT INTO actor
  SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'First' || n, 'Last' || n
    FROM generate_series(1, 40) n;
INSERT INTO film
  SELECT n, 'Film ' || n || CASE WHEN n = 7 THEN ' — 映画' ELSE '' END,
         CASE WHEN n % 5 = 0 THEN NULL ELSE 'A story about ' || n END,
         CASE WHEN n % 4 = 0 THEN NULL ELSE 1990 + n % 30 END,
         1 + n % 2, 1 + n % 3, (n % 5) + 0.99,
         (ARRAY['G', 'PG', 'PG-13', 'R', 'NC-17'])[1 + n % 5]::mpaa_rating,
         CASE WHEN n % 3 = 0 THEN ARRAY['G', 'R']::mpaa_rating[] ELSE NULL END,
         ARRAY['Trailers', 'Commentaries'],
         CASE WHEN n = 1 THEN (SELECT string_agg(set_byte('\x00'::bytea, 0, b), ''::bytea) FROM generate_series(0, 255) b)
              WHEN n % 2 = 0 THEN decode('cafe' || lpad(to_hex(n), 4, '0'), 'hex') END,
         to_tsvector('english', 'Film number ' || n)
    FROM generate_series(1, 60) n;
INSERT INTO film_actor
  SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(1 + n % 40), 12, '0'))::uuid, 1 + n % 60
    FROM generate_series(1, 120) n
  ON CONFLICT DO NOTHING;
BEGIN;
INSERT INTO store VALUES ('north', 1), ('south', 2);
INSERT INTO staff VALUES (1, 'north', 'Ana'), (2, 'south', 'Bo'), (3, 'south', 'Cy');
COMMIT;
INSERT INTO inventory SELECT n, 1 + n % 60, CASE WHEN n % 2 = 0 THEN 'north' ELSE 'south' END FROM generate_series(1, 150) n;
INSERT INTO rental
  SELECT timestamptz '2024-01-01T10:00:00.000001Z' + n * interval '1 day 1.000123 second', 1 + n % 150,
         'customer' || n % 25, CASE WHEN n % 3 = 0 THEN NULL ELSE date '2024-01-05' + n END
    FROM generate_series(1, 300) n;
INSERT INTO payment
  SELECT n, (rented_at AT TIME ZONE 'UTC')::date, 2.5 + (n % 7), rented_at, inventory_id
    FROM (SELECT row_number() OVER (ORDER BY rented_at) AS n, rented_at, inventory_id FROM rental) r
   WHERE (rented_at AT TIME ZONE 'UTC')::date < '2025-01-01';
INSERT INTO audit_log (message) VALUES ('seeded');
REFRESH MATERIALIZED VIEW rentals_per_store;
