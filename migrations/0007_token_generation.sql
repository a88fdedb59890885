-- A user's token generation: every token carries the value it was minted under, and a
-- token whose generation is no longer the user's is refused. Changing the password or
-- `vitals user revoke` bumps it, ending every token issued before. vitals_reader's
-- SELECT on users covers the new column.
ALTER TABLE users ADD COLUMN token_generation integer NOT NULL DEFAULT 0
    CHECK (token_generation >= 0);
