import fs from 'node:fs';
import { it } from 'vitest';
import { loadDemoData } from '../../src/demo/load.ts';
import { buildTestApp } from '../helpers/app.ts';
import { importCareLines } from '../../src/services/care-history-import.ts';
it('timing', async () => {
  const t = await buildTestApp();
  await loadDemoData(t.deps);
  for (const variant of ['fk', 'nofk', 'noidx']) {
    if (variant === 'nofk') await t.db.owner`ALTER TABLE care_line DROP CONSTRAINT care_line_patient_id_fkey`;
    if (variant === 'noidx') await t.db.owner`DROP INDEX care_line_by_date`;
    const s = await importCareLines(t.deps, { kind: 'operator', id: 'x' }, fs.createReadStream('/tmp/remb100k.csv'), { batchSize: 1000 });
    console.log('variant', variant, s.elapsedMs, s.imported, s.duplicates);
    const s2 = await importCareLines(t.deps, { kind: 'operator', id: 'x' }, fs.createReadStream('/tmp/remb100k.csv'), { batchSize: 1000 });
    console.log('variant again', variant, s2.elapsedMs, s2.imported, s2.duplicates);
    await t.db.owner`DELETE FROM care_line`;
  }
  await t.close();
});
