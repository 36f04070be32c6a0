-- A relay claim and a relay completion each become one statement
-- (src/relay/outboxStore.ts, docs/relay.md). Before, a claim was six round
-- trips from the worker (BEGIN, the relay lock with the paused tables, the
-- head of the pending index, the txids' advisory locks, the claim's insert,
-- COMMIT), four of them while holding the relay-wide claim lock, so every
-- other worker's claim waited on the network and on this worker's Node event
-- loop; and a round ended with two (mark the events done, delete the claim).
--
-- The protocol is unchanged (see 0016_relay_claims.sql): relay claims run one
-- at a time under a transaction-scoped advisory lock; every claimer, the
-- mirror helper's fast path included, takes each txid's advisory lock and then
-- checks the live claims again in a later statement (a fresh snapshot in this
-- VOLATILE function), so it sees a claim committed by whoever held a lock
-- before it.

-- Claims the oldest claimable transactions (pending, due, in no live claim,
-- touching no paused table), whole, until `max_bytes` of stored row images
-- (at least one transaction); or, with `only_txid`, that one transaction
-- without the relay lock. Returns the claim's id and txids, or no row. The
-- lock keys are computed by the caller (they depend on the tool schema's name):
-- `relay_lock` (key 0 of that class) and `txid_lock_class` (the txid, modulo
-- 2^31 - 1, is the second key). Commits without waiting for its WAL flush: a
-- claim lost to a Postgres crash only lets another worker deliver the same
-- events again, which the versioned apply ignores.
CREATE FUNCTION {{tool}}.claim_transactions(
  worker text, max_events int, max_bytes bigint, lease_ms double precision,
  only_txid xid8, relay_lock int, txid_lock_class int)
RETURNS TABLE (claim_id bigint, claimed xid8[])
LANGUAGE plpgsql
-- Planned with the call's values each time, as the statements it replaces were:
-- a generic plan of the head query, not knowing its LIMIT, could scan the
-- whole outbox (done events are kept for days) instead of the pending index.
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
  paused text[];
  wanted xid8[];
  won xid8[];
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  IF only_txid IS NULL THEN
    PERFORM pg_advisory_xact_lock(relay_lock, 0);
  END IF;
  SELECT array_agg(p.table_name) INTO paused FROM {{tool}}.table_pause p WHERE p.resumed_at IS NULL;
  IF only_txid IS NOT NULL THEN
    SELECT array[only_txid] INTO wanted
     WHERE EXISTS (SELECT 1 FROM {{tool}}.outbox o
                    WHERE o.txid = only_txid AND o.status = 'pending' AND o.next_attempt_at <= now())
       AND only_txid NOT IN (SELECT unnest(c.txids) FROM {{tool}}.relay_claim c WHERE c.expires_at > now())
       AND (paused IS NULL OR NOT EXISTS (SELECT 1 FROM {{tool}}.outbox p
                                           WHERE p.txid = only_txid AND p.status = 'pending'
                                             AND p.table_name = ANY(paused)));
  ELSE
    -- A transaction is taken if it starts the head, or if the row images
    -- before its first event stay under the byte budget (the sum only grows,
    -- so the transactions taken are a prefix of the head's).
    WITH head AS (
      SELECT o.txid, o.seq, coalesce(pg_column_size(o."row"), 0)::bigint AS bytes
        FROM {{tool}}.outbox o
       WHERE o.status = 'pending' AND o.next_attempt_at <= now()
         AND o.txid NOT IN (SELECT unnest(c.txids) FROM {{tool}}.relay_claim c WHERE c.expires_at > now())
         -- Applied whole, a transaction touching a paused table waits with it.
         AND (paused IS NULL OR NOT EXISTS (SELECT 1 FROM {{tool}}.outbox p
                                             WHERE p.txid = o.txid AND p.status = 'pending'
                                               AND p.table_name = ANY(paused)))
       ORDER BY o.seq
       LIMIT greatest(1, max_events)
    ), ranked AS (
      SELECT h.txid, h.seq,
             coalesce(sum(h.bytes) OVER (ORDER BY h.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before,
             row_number() OVER (PARTITION BY h.txid ORDER BY h.seq) AS nth,
             row_number() OVER (ORDER BY h.seq) AS position
        FROM head h
    )
    SELECT array_agg(r.txid ORDER BY r.seq) INTO wanted
      FROM ranked r
     WHERE r.nth = 1 AND (r.position = 1 OR r.before < max_bytes);
  END IF;
  IF wanted IS NULL THEN
    RETURN;
  END IF;
  SELECT array_agg(t ORDER BY n) INTO won
    FROM unnest(wanted) WITH ORDINALITY AS u(t, n)
   WHERE pg_try_advisory_xact_lock(txid_lock_class, ((t::text::numeric) % 2147483647)::int);
  IF won IS NULL THEN
    RETURN;
  END IF;
  -- Relay claims (serialized) also clear the claims of dead workers.
  IF only_txid IS NULL THEN
    DELETE FROM {{tool}}.relay_claim c WHERE c.expires_at <= now();
  END IF;
  RETURN QUERY
    INSERT INTO {{tool}}.relay_claim AS c (leased_by, txids, expires_at)
    SELECT worker, array_agg(t ORDER BY t), now() + make_interval(secs => lease_ms / 1000)
      FROM unnest(won) AS t
     WHERE t NOT IN (SELECT unnest(l.txids) FROM {{tool}}.relay_claim l WHERE l.expires_at > now())
    HAVING count(*) > 0
    RETURNING c.id, c.txids;
END
$$;

-- Ends a round: marks `done_seqs` applied (those still pending) and deletes the
-- claim, in one statement. Like the claim it does not wait for its WAL flush:
-- a completion lost to a Postgres crash leaves the events pending, so they are
-- delivered again and the versioned apply ignores them; a lost delete leaves a
-- claim whose lease expires.
CREATE FUNCTION {{tool}}.complete_claim(done_seqs bigint[], claim bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  IF cardinality(done_seqs) > 0 THEN
    UPDATE {{tool}}.outbox o
       SET status = 'done', processed_at = now(), last_error = NULL
     WHERE o.seq = ANY(done_seqs) AND o.status = 'pending';
  END IF;
  IF claim IS NOT NULL THEN
    DELETE FROM {{tool}}.relay_claim c WHERE c.id = claim;
  END IF;
END
$$;
