-- Issue 19: VIHF authentication of the SOAP services.
-- vihf_certificate: the certificates the operator registered per structure (IdNat_Struct) to sign VIHF assertions
-- (opendmp vihf-cert add|list|revoke, and the operator API). A revoked certificate stays listed (revoked_at).
-- vihf_assertion_used: each assertion ID is usable once; a row lives until the assertion's own expiry.
-- Neither is a patient table (shared, small).
CREATE TABLE vihf_certificate (
  id uuid PRIMARY KEY,
  structure text NOT NULL CHECK (length(structure) BETWEEN 1 AND 64),
  fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  subject text NOT NULL,
  pem text NOT NULL,
  not_before timestamptz NOT NULL,
  not_after timestamptz NOT NULL,
  label text,
  added_at timestamptz NOT NULL,
  added_by text NOT NULL,
  revoked_at timestamptz,
  revoked_by text,
  UNIQUE (structure, fingerprint)
);
CREATE INDEX vihf_certificate_structure ON vihf_certificate (structure);

CREATE TABLE vihf_assertion_used (
  assertion_key text PRIMARY KEY CHECK (length(assertion_key) = 64),
  expires_at timestamptz NOT NULL
);
CREATE INDEX vihf_assertion_used_expiry ON vihf_assertion_used (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON vihf_certificate, vihf_assertion_used TO opendmp_app;
