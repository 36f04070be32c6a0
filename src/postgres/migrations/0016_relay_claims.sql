-- The relay leases what it claims per claim, not per event: one row here holds
-- the Postgres transactions (txids) one worker claimed and when its lease
-- expires. Before, every claimed event was leased by an UPDATE of its outbox
-- row (leased_by, lease_expires_at), a second row version per event beside the
-- one that marks it done; bench/relayThroughput.ts measured that UPDATE at a
-- quarter to a third of the relay's time.
--
-- A txid is leased while a row here holds it and has not expired. Claims never
-- overlap: relay workers claim one at a time (an advisory lock) and check the
-- live claims after locking, and the mirror helper's fast path, which claims
-- its own txid without that lock, takes the txid's advisory lock first (see
-- src/relay/outboxStore.ts). The table stays small: a worker deletes its claim
-- when its round ends, and claimers delete expired claims of dead workers.
CREATE TABLE {{tool}}.relay_claim (
  id bigserial PRIMARY KEY,
  leased_by text NOT NULL,
  txids xid8[] NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

ALTER TABLE {{tool}}.outbox DROP COLUMN leased_by, DROP COLUMN lease_expires_at;
