import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import { parseCda } from '../../src/validation/cda.ts';

describe('timing', () => {
  let t: TestApp; const ins = fx.nir('2790351215189');
  beforeAll(async () => { t = await buildTestApp({ masterKey: randomBytes(32).toString('base64') }); const op = await t.token(OPERATOR);
    await t.app.inject({ method: 'POST', url: '/fhir/Patient', headers: { authorization: `Bearer ${op}`, 'content-type': 'application/fhir+json' }, payload: fx.patientBody(ins) }); });
  afterAll(async () => { await t.close(); });
  it('measures', async () => {
    let xml = fx.rewriteIns(fx.readExample('BIO-TROD_2024.01_Angine.xml'), ins);
    // shrink to ~10 KB: drop XML comments
    xml = xml.replace(/<!--[\s\S]*?-->/g, '');
    const sample = Buffer.from(xml, 'utf8');
    console.log('CDA bytes', sample.length);
    const n0 = 200; let t0 = performance.now(); for (let i = 0; i < n0; i++) parseCda(sample); console.log('parseCda ms', ((performance.now() - t0) / n0).toFixed(2));
    const h = fx.header(sample); const body = fx.authorTokenBody(h); const token = await t.token(body);
    await t.app.inject({ method: 'POST', url: '/fhir/Consent', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, payload: fx.consentBody(ins, String(body['idNatPs'])) });
    const docs: Buffer[] = []; for (let i = 0; i < 200; i++) docs.push(Buffer.from(fx.rewriteDocumentId(xml, fx.freshOid()), 'utf8'));
    const payloads = docs.map((b) => JSON.stringify(fx.iti105(fx.cdaDocumentReference(ins, b), b)));
    const ids: string[] = [];
    let c0 = process.cpuUsage();
    t0 = performance.now();
    for (const p of payloads) { const r = await t.app.inject({ method: 'POST', url: '/fhir/DocumentReference', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, payload: p }); if (r.statusCode !== 201) throw new Error(r.body); ids.push(String(r.json()['id'])); }
    let ms = performance.now() - t0; let cpu = process.cpuUsage(c0); console.log('deposit serial ms/op', (ms / 200).toFixed(2), 'cpu ms/op', ((cpu.user + cpu.system) / 1000 / 200).toFixed(2));
    const q = `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}&_count=50`;
    for (let i = 0; i < 20; i++) await t.app.inject({ method: 'GET', url: q, headers: { authorization: `Bearer ${token}` } });
    c0 = process.cpuUsage(); t0 = performance.now(); const lat: number[] = [];
    for (let i = 0; i < 300; i++) { const s = performance.now(); const r = await t.app.inject({ method: 'GET', url: q, headers: { authorization: `Bearer ${token}` } }); lat.push(performance.now() - s); if (r.statusCode !== 200) throw new Error(r.body); }
    ms = performance.now() - t0; cpu = process.cpuUsage(c0); console.log('search cpu ms/op', ((cpu.user + cpu.system) / 1000 / 300).toFixed(2)); lat.sort((a, b) => a - b); console.log('search(200 docs, _count=50) serial ms/op', (ms / 300).toFixed(2), 'p99', lat[Math.floor(lat.length * 0.99)]?.toFixed(2));
    const read = await t.app.inject({ method: 'GET', url: `/fhir/DocumentReference/${ids[0]}`, headers: { authorization: `Bearer ${token}` } });
    const url = new URL(String(read.json()['content'][0]['attachment']['url'])).pathname;
    c0 = process.cpuUsage(); t0 = performance.now();
    for (let i = 0; i < 300; i++) { const r = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } }); if (r.statusCode !== 200) throw new Error(r.body); }
    ms = performance.now() - t0; cpu = process.cpuUsage(c0); console.log('retrieve serial ms/op', (ms / 300).toFixed(2), 'cpu ms/op', ((cpu.user + cpu.system) / 1000 / 300).toFixed(2));
    const b0 = performance.now(); for (let i = 0; i < 100; i++) await t.deps.sql.begin(async (tx) => { await tx`SELECT 1`; }); console.log('empty tx ms', ((performance.now() - b0) / 100).toFixed(2));
    const w0 = performance.now(); for (let i = 0; i < 100; i++) await t.db.owner.begin(async (tx) => { await tx`CREATE TEMP TABLE IF NOT EXISTS tt (x int)`; await tx`INSERT INTO tt VALUES (1)`; }); console.log('write tx ms (temp)', ((performance.now() - w0) / 100).toFixed(2));
    const a0 = performance.now(); for (let i = 0; i < 100; i++) await t.db.owner.begin(async (tx) => { await tx`UPDATE patient_record SET version = version WHERE patient_id = (SELECT patient_id FROM patient_record LIMIT 1)`; }); console.log('write tx ms (wal)', ((performance.now() - a0) / 100).toFixed(2));
    {
      const docsRepo = await import('../../src/db/documents.repository.ts');
      const [rec] = await t.deps.sql`SELECT patient_id FROM patient_record LIMIT 1`;
      const pid = String(rec?.['patient_id']);
      const filter = { statuses: ['current', 'superseded'] as ('current' | 'superseded')[], archived: false, dates: [] };
      let x0 = performance.now(); let facts: Awaited<ReturnType<typeof docsRepo.searchDocumentFacts>> = [];
      for (let i = 0; i < 50; i++) facts = await docsRepo.searchDocumentFacts(t.deps.sql, pid, filter, 10000);
      console.log('facts query ms', ((performance.now() - x0) / 50).toFixed(2), facts.length);
      const pageIds = facts.slice(0, 50).map((f) => f.id);
      x0 = performance.now(); let rows: Awaited<ReturnType<typeof docsRepo.findDocumentsByIds>> = [];
      for (let i = 0; i < 50; i++) rows = await docsRepo.findDocumentsByIds(t.deps.sql, pid, pageIds);
      console.log('rows query ms', ((performance.now() - x0) / 50).toFixed(2), 'resource bytes', JSON.stringify(rows[0]?.resource).length);
      const { servedResource } = await import('../../src/services/documents/resource.ts');
      x0 = performance.now(); let out = '';
      for (let i = 0; i < 50; i++) out = JSON.stringify(rows.map((r) => servedResource(r, 'http://x')));
      console.log('serve+stringify ms', ((performance.now() - x0) / 50).toFixed(2), 'bytes', out.length);
      const { decideAccess } = await import('../../src/domain/access/policy.ts');
      const { documentFacts, accessContext } = await import('../../src/services/documents/access.ts');
      const records = await import('../../src/db/records.repository.ts');
      const record = await records.findRecord(t.deps.sql, pid);
      const actor = { kind: 'professional' as const, idNatPs: String(body['idNatPs']), profession: '10', mode: 'normal' as const };
      x0 = performance.now(); let ctx = await accessContext(t.deps.sql, t.deps, actor, ins, record);
      for (let i = 0; i < 49; i++) ctx = await accessContext(t.deps.sql, t.deps, actor, ins, record);
      console.log('access ctx ms', ((performance.now() - x0) / 50).toFixed(2));
      x0 = performance.now(); let n = 0;
      for (let i = 0; i < 50; i++) n = facts.filter((f) => decideAccess({ ...ctx, action: 'document.read', document: documentFacts(f) }).allow).length;
      console.log('policy x200 ms', ((performance.now() - x0) / 50).toFixed(2), n);
    }
    const plan = await t.db.owner.unsafe(`EXPLAIN SELECT id FROM document WHERE patient_id = (SELECT patient_id FROM patient_record LIMIT 1) AND status <> 'deleted' AND status = ANY('{current,superseded}') AND archived = false ORDER BY deposited_at DESC, id DESC LIMIT 10000`);
    console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
  });
});
