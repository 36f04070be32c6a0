-- Placeholder: migration 0011 belongs to the `alerts` branch, being built in
-- parallel. It exists only so this branch's migrations stay contiguous; the
-- merge replaces it with the alerts migration (delete this file then).
SELECT 1;
