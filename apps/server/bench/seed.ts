import type { Sql } from '../src/db/client.ts';

/**
 * Bulk background data for the benchmark: `patients` synthetic records holding `documents` documents in all,
 * written straight in SQL (generate_series) because depositing a million documents through the API would take
 * most of an hour. The rows have the shape the service writes (metadata, an encrypted-content row, a submission
 * set), so indexes and table sizes are realistic; their content, metadata and served encoding are never read by the
 * benchmark (empty JSON). They are CDA level 1
 * documents (`text/xml` under the PDF format code), as every stored document is since issue 17 rule 9: a bare one
 * would be wrapped by the service at start (ADR 0014), a million of them before it listens.
 */
export async function seedBackground(
  owner: Sql,
  patients: number,
  documents: number,
): Promise<number> {
  const t0 = performance.now();
  await owner.unsafe(`
    INSERT INTO patient_record (patient_id, ins, ins_oid, birth_name, given_names, sex, birth_date, status, created_at, created_by)
    SELECT md5('bench-p' || g)::uuid, lpad(g::text, 15, '0'), '1.2.250.1.213.1.4.10', 'BENCH', ARRAY['Patient'], 'female',
      date '1970-01-01' + (g % 15000), 'active', now(), 'bench'
    FROM generate_series(1, ${patients}) g`);
  await owner.unsafe(`
    INSERT INTO ins_index (ins, patient_id)
    SELECT lpad(g::text, 15, '0'), md5('bench-p' || g)::uuid FROM generate_series(1, ${patients}) g`);
  await owner.unsafe(`
    INSERT INTO record_data_key (patient_id, key_version, master_key_id, wrapped_key, created_at)
    SELECT md5('bench-p' || g)::uuid, 1, 'bench', gen_random_bytes_compat(60), now() FROM generate_series(1, ${patients}) g`);
  await owner.unsafe(`
    INSERT INTO submission_set (patient_id, id, unique_id, depositor_kind, depositor_id, submitted_at, metadata, served)
    SELECT md5('bench-p' || g)::uuid, md5('bench-s' || g)::uuid, 'urn:oid:1.2.250.1.999.' || g, 'professional',
      '810001000024', now(), '{}'::jsonb, '{}'
    FROM generate_series(1, ${patients}) g`);
  const batch = 100_000;
  for (let from = 1; from <= documents; from += batch) {
    const to = Math.min(documents, from + batch - 1);
    await owner.unsafe(`
      INSERT INTO document_content (patient_id, content_id, key_version, nonce, tag, ciphertext)
      SELECT md5('bench-p' || (d % ${patients} + 1))::uuid, md5('bench-c' || d)::uuid, 1,
        gen_random_bytes_compat(12), gen_random_bytes_compat(16), gen_random_bytes_compat(64)
      FROM generate_series(${from}, ${to}) d`);
    await owner.unsafe(`
      INSERT INTO document (patient_id, id, unique_id, lineage_id, status, type_code, class_code, format_code,
        facility_code, setting_code, confidentiality, author_ids, author_structures, depositor_kind, depositor_id,
        submission_set_id, doc_date, creation_time, service_start, deposited_at, updated_at, content_id, mime_type,
        size, sha1, metadata, served, entry_uuid)
      SELECT md5('bench-p' || (d % ${patients} + 1))::uuid, md5('bench-d' || d)::uuid, '1.2.250.1.999.1.' || d,
        md5('bench-d' || d)::uuid, 'current', '11488-4', '10', 'urn:ihe:iti:xds-sd:pdf:2008', 'SA07', 'AMBULATOIRE',
        ARRAY['N'], ARRAY['810001000024'], ARRAY['1750300000'], 'professional', '810001000024',
        md5('bench-s' || (d % ${patients} + 1))::uuid, now() - (d % 3650) * interval '1 day',
        now() - (d % 3650) * interval '1 day', now() - (d % 3650) * interval '1 day',
        now() - (d % 3650) * interval '1 day', now(), md5('bench-c' || d)::uuid, 'text/xml', 64,
        gen_random_bytes_compat(20), '{}'::jsonb, '{}', md5('bench-d' || d)::uuid
      FROM generate_series(${from}, ${to}) d`);
  }
  await owner.unsafe('ANALYZE');
  return (performance.now() - t0) / 1000;
}

/** pgcrypto may be absent: random bytes from md5 are enough for filler. */
export async function installFillerFunctions(owner: Sql): Promise<void> {
  await owner.unsafe(`
    CREATE OR REPLACE FUNCTION gen_random_bytes_compat(n integer) RETURNS bytea LANGUAGE sql VOLATILE AS $$
      SELECT substring(decode(string_agg(md5(random()::text), ''), 'hex') FROM 1 FOR n)
      FROM generate_series(1, (n + 15) / 16)
    $$`);
}
