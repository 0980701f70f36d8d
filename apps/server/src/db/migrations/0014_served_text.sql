-- The DocumentReference exactly as a search serves it (JSON text), written with each version of the row by the
-- service (services/documents/resource.ts `servedText`): a search answer copies it instead of rendering `resource`
-- (jsonb) and joining pieces on every request (ADR 0008). The Binary URL's base is a marker the service replaces
-- with its public URL. NULL for rows written before this migration: those are still served from `resource`.
ALTER TABLE document ADD COLUMN served text;
