-- Storage settings measured by the benchmark (docs/benchmarks.md, ADR 0008).
-- A stored DocumentReference is 3–4 KB of jsonb, rendered on every search answer: above ~2 KB PostgreSQL would
-- compress it in the row and decompress it at each access (about a third of the search query's time here). Rows up
-- to 8160 bytes are now kept as they are; larger ones are still compressed or moved out of line.
ALTER TABLE document SET (toast_tuple_target = 8160);
-- Document contents are AES-GCM ciphertext, which does not compress: stored out of line without trying.
ALTER TABLE document_content ALTER COLUMN ciphertext SET STORAGE EXTERNAL;
