/**
 * A small application unlike the story site, for the discovery tests: text and
 * composite keys, a partitioned table, a table keyed only by a unique index, a
 * table with no key at all, and things that are not tables (a view, a
 * materialized view, a foreign-table-like partition child).
 */
export const SHOP_SCHEMA = 'shop';

export const SHOP_DDL = `
CREATE SCHEMA shop;
CREATE TABLE shop.customer (code text PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE shop.orders (
  id bigint PRIMARY KEY,
  customer_code text NOT NULL REFERENCES shop.customer (code),
  placed_at timestamptz NOT NULL
);
CREATE TABLE shop.line (
  order_id bigint NOT NULL REFERENCES shop.orders (id),
  line_no int NOT NULL,
  qty int NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE TABLE shop.event (source text NOT NULL, seq bigint NOT NULL, note text, UNIQUE (source, seq));
CREATE TABLE shop.page_view (path text NOT NULL, viewer text);
CREATE TABLE shop.reading (sensor int NOT NULL, n int NOT NULL, value float8, PRIMARY KEY (sensor, n))
  PARTITION BY RANGE (sensor);
CREATE TABLE shop.reading_low PARTITION OF shop.reading FOR VALUES FROM (0) TO (100);
CREATE TABLE shop.reading_high PARTITION OF shop.reading FOR VALUES FROM (100) TO (1000);
CREATE VIEW shop.order_sizes AS SELECT order_id, sum(qty) AS qty FROM shop.line GROUP BY order_id;
CREATE MATERIALIZED VIEW shop.customer_count AS SELECT count(*) AS n FROM shop.customer;
INSERT INTO shop.customer VALUES ('c1', 'a@example.com'), ('c2', 'b@example.com');
INSERT INTO shop.orders VALUES (1, 'c1', '2024-01-01T00:00:00Z'), (2, 'c2', '2024-01-02T00:00:00Z');
INSERT INTO shop.line VALUES (1, 1, 3), (1, 2, 1), (2, 1, 5);
INSERT INTO shop.event VALUES ('pos', 1, 'open'), ('pos', 2, NULL);
INSERT INTO shop.page_view VALUES ('/', NULL);
INSERT INTO shop.reading VALUES (5, 1, 0.5), (500, 1, 1.5);
`;
