/**
 * Migration 0040 (issue 17 rule 1) on a database that already holds legal representatives of the old shape (a
 * name and a relation only): the rows are kept, start at the record's creation, are attributed to its creator, and
 * carry no identity — so no representative token matches them until the operator registers one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/db/client.ts';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.ts';
import { MIGRATION_STEPS } from '../../src/migration-steps.ts';
import { findRepresentations } from '../../src/db/representation.repository.ts';
import { representationsOf } from '../../src/services/access-facts.ts';
import { withDatabase } from '../helpers/global-setup.ts';

describe('migration 0040 on existing legal representatives', () => {
  const adminUrl = inject('adminUrl');
  const name = `mig0040_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
  const before = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-mig-'));

  afterAll(async () => {
    const admin = connect(adminUrl, { max: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(before, { recursive: true, force: true });
  });

  it('keeps the rows, dates them from the record’s creation, and lets no token match them', async () => {
    const admin = connect(adminUrl, { max: 1 });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    await admin.end();
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f < '0040')) {
      fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(before, f));
    }
    const sql = connect(withDatabase(adminUrl, name), { max: 1 });
    try {
      await migrate(sql, MIGRATION_STEPS, before);
      const created = new Date('2024-02-03T04:05:06Z');
      await sql`INSERT INTO ins_index (ins, patient_id)
        VALUES ('112087505611139', '11111111-1111-4111-8111-111111111111')`;
      await sql`INSERT INTO patient_record (patient_id, ins, ins_oid, birth_name, given_names, sex, birth_date,
          birth_place, status, created_at, created_by)
        VALUES ('11111111-1111-4111-8111-111111111111', '112087505611139', '1.2.250.1.213.1.4.10', 'SIMON',
          ${['Hugo']}, 'male', '2012-08-13', '75056', 'active', ${created}, 'ops-legacy')`;
      await sql`INSERT INTO legal_representative (patient_id, id, name, relation)
        VALUES ('11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', 'Claire SIMON',
          'MTH')`;

      expect(await migrate(sql, MIGRATION_STEPS)).toContain('0040_legal_representation.sql');
      const rows = await findRepresentations(sql, '11111111-1111-4111-8111-111111111111');
      expect(rows).toEqual([
        expect.objectContaining({
          name: 'Claire SIMON',
          relation: 'MTH',
          identifier: null,
          starts_at: created,
          ends_at: null,
          registered_at: created,
          registered_by: 'ops-legacy',
          ended_at: null,
        }),
      ]);
      expect(representationsOf(rows)).toEqual([]);
    } finally {
      await sql.end();
    }
  });
});
