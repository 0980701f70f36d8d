import { connect } from '../src/db/client.ts';
import fs from 'node:fs';
const sql = connect(process.env.URL!, { max: 1 });
const patient = process.argv[2]!;
const pid = (await sql`select pg_backend_pid() as p`)[0]!.p;
const stat = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
async function m(label: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 50; i++) await fn();
  const n = 500; const c0 = stat(); const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  console.log(`${label}: ${((performance.now() - t0) / n).toFixed(3)} ms wall, PG cpu ${((stat() - c0) / n).toFixed(3)} ms`);
}
await m('select 1', () => sql`select 1`);
await m('tag', () => sql`select record_access_tag(${patient}::uuid)`);
await m('lock row (no write)', () => sql`select audit_seq from patient_record where patient_id = ${patient}::uuid for update`);
await m('update head (commit)', () => sql`update patient_record set audit_seq = audit_seq where patient_id = ${patient}::uuid`);
await m('append 0 events no tag', () => sql`select append_record_audit(${patient}::uuid, ${[]}::text[], null::text)`);
await sql.end();
