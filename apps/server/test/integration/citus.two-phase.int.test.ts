import { Readable } from 'node:stream';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/db/client.ts';
import type { Sql } from '../../src/db/client.ts';
import type { Deps } from '../../src/services/deps.ts';
import { importCareLines } from '../../src/services/care-history-import.ts';
import { mergeRecords } from '../../src/services/record-merge.ts';
import { purgeDueRecords } from '../../src/services/records.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, OPERATOR } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Issue 20, the two-phase commit of the transactions that may write several workers (ADR 0035's rule: Citus turns
 * it on when a transaction that already wrote a node writes through a connection it then opens to another; a node
 * reached first by a read and written later is committed with a plain COMMIT). A merge, a care-history import
 * batch and a purge, each watched through `citus.log_remote_commands` on the coordinator: the nodes it wrote and
 * the nodes it prepared. Written on two workers or more, every one of them must be prepared (atomic); written on
 * one, none need be (a two-phase commit there costs a round trip, a WAL flush and a `pg_dist_transaction` row for
 * nothing). Only on Citus.
 */
const onCitus = inject('workerUrls').length > 0;

interface Sent {
  readonly command: string;
  readonly port: number;
  /** The coordinator's distributed transaction the command was sent in (a statement alone is its own). */
  readonly txn: string;
}

const WRITE =
  /^(INSERT|UPDATE|DELETE|COPY)\b|^SELECT .*\b(append_\w+|purge_record_audit|store_submission_record)\(/is;

describe.runIf(onCitus)(
  'Citus: a transaction prepares the nodes it wrote, when it wrote several',
  () => {
    let a: TestApp;
    let watched: Sql;
    let deps: Deps;
    const sent: Sent[] = [];
    const open = new Map<string, string>();
    const json = async () => ({
      authorization: `Bearer ${await a.token(OPERATOR)}`,
      'content-type': 'application/fhir+json',
    });

    /** What `run` made the coordinator write and prepare, by node, in each of its distributed transactions. */
    async function watch<R>(run: () => Promise<R>) {
      sent.length = 0;
      const result = await run();
      const nodes = (txn: string, re: RegExp) =>
        [
          ...new Set(sent.filter((s) => s.txn === txn && re.test(s.command)).map((s) => s.port)),
        ].toSorted();
      const transactions = [...new Set(sent.map((s) => s.txn))]
        .map((txn) => ({
          written: nodes(txn, WRITE),
          prepared: nodes(txn, /^PREPARE TRANSACTION/i),
        }))
        .filter((t) => t.written.length > 0);
      return { result, transactions };
    }

    /**
     * Atomic across the nodes written when they are several, no two-phase commit on one: in each transaction.
     * `movesRows`: a merge moves the absorbed record's rows into the survivor's shard by INSERT … SELECT, which Citus
     * runs through the coordinator (COPY on connections of their own): on one worker too it is a multi-shard write,
     * committed in two phases there (accepted: docs/scaling.md). Never a node prepared that was not written.
     */
    function expectPrepared(
      seen: { transactions: { written: number[]; prepared: number[] }[] },
      what: string,
      movesRows = false,
    ): void {
      expect(seen.transactions.length, `${what}: nothing written`).toBeGreaterThan(0);
      for (const t of seen.transactions) {
        expect(t.prepared, `${what}: wrote ${t.written.join(', ')}`).toEqual(
          t.written.length > 1 || (movesRows && t.prepared.length > 0) ? t.written : [],
        );
      }
    }

    async function nodeOf(patientId: string): Promise<number> {
      const [row] = await a.db.owner<{ nodeport: number }[]>`
      SELECT nodeport FROM pg_dist_shard_placement
        WHERE shardid = get_shard_id_for_distribution_column('patient_record', ${patientId}::uuid)`;
      return row!.nodeport;
    }

    let serial = 0;
    /** A new record (the same traits every time: two of them may be merged), on `node` if given. */
    async function record(node?: number): Promise<{ id: string; ins: string }> {
      for (;;) {
        const ins = fx.nir(`18001751${String(30000 + serial++).padStart(5, '0')}`);
        const res = await a.app.inject({
          method: 'POST',
          url: '/fhir/Patient',
          headers: await json(),
          payload: fx.patientBody(ins),
        });
        expect(res.statusCode, res.body).toBe(201);
        const id = String(res.json<Json>()['id']);
        if (node === undefined || (await nodeOf(id)) === node) {
          return { id, ins };
        }
      }
    }

    beforeAll(async () => {
      a = await buildTestApp();
      watched = connect(a.db.appUrl, {
        max: 4,
        settings: { 'citus.log_remote_commands': 'on' },
        onnotice: (n: postgres.Notice) => {
          const command = /^issuing (.*)$/s.exec(n['message'] ?? '')?.[1];
          const on = /on server \S+@[^:\s]+:(\d+) connectionId: (\d+)/.exec(n['detail'] ?? '');
          if (command === undefined || !on) {
            return;
          }
          // A transaction block opens with BEGIN and the coordinator's transaction number, on each connection.
          const begun = /^BEGIN\b.*assign_distributed_transaction_id\(\d+, (\d+),/s.exec(
            command,
          )?.[1];
          if (begun !== undefined) {
            open.set(on[2]!, begun);
          }
          const txn = open.get(on[2]!) ?? `alone ${String(sent.length)}`;
          sent.push({ command, port: Number(on[1]), txn });
          if (/^(COMMIT|ROLLBACK)\b/i.test(command)) {
            open.delete(on[2]!);
          }
        },
      });
      deps = { ...a.deps, sql: watched };
    });

    afterAll(async () => {
      await watched.end({ timeout: 5 });
      await a.close();
    });

    it('a merge of two records on different workers, then on the same worker', async () => {
      const first = await record();
      const firstNode = await nodeOf(first.id);
      const workers = inject('workerUrls').map((u) => Number(new URL(u).port));
      const second = await record(workers.find((p) => p !== firstNode));
      const across = await watch(() =>
        mergeRecords(deps, { kind: 'operator', id: 'ops' }, first.id, second.id, true),
      );
      expect(across.result.absorbedId).toBe(second.id);
      expectPrepared(across, 'merge across workers');

      const third = await record(firstNode);
      const alone = await watch(() =>
        mergeRecords(deps, { kind: 'operator', id: 'ops' }, first.id, third.id, true),
      );
      expect(alone.result.absorbedId).toBe(third.id);
      expectPrepared(alone, 'merge on one worker', true);
    });

    it('a care-history import batch over records on both workers, then over one record', async () => {
      const workers = inject('workerUrls').map((u) => Number(new URL(u).port));
      const [r1, r2] = [await record(workers[0]), await record(workers[1])];
      const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
      const line = (ins: string, code: string) =>
        `${ins};${day};NGAP;${code};CONSULTATION MEDECINE GENERALE;1;810001000008;10;;1750600009;26,50`;
      const feed = (lines: string[]) =>
        watch(() =>
          importCareLines(
            deps,
            { kind: 'operator', id: 'cnam-test' },
            Readable.from([
              `ins;date_soins;type_code;code;libelle;quantite;executant_idnat_ps;executant_profession;prescripteur_idnat_ps;structure_idnat_struct;montant_rembourse\n${lines.join('\n')}\n`,
            ]),
            { batchSize: 1000 },
          ),
        );
      // The batch's transaction (both records), then the run's system trace (its own transaction, one worker).
      const both = await feed([line(r1!.ins, 'G'), line(r2!.ins, 'G'), line(r2!.ins, 'V')]);
      expect(both.result.imported).toBe(3);
      expectPrepared(both, 'import over both workers');

      // One record, one worker: still a two-phase commit there. The lines are written by an `INSERT … SELECT FROM
      // unnest(…)` (care-history.repository insertCareLines), which Citus runs as a COPY, always prepared. Kept: the
      // batch locks its records (pipelined, one chain per record) before it writes them, so a batch over several
      // workers reaches each through a connection opened by a read; without the COPY it would commit them with plain
      // COMMITs, not atomically (ADR 0035's rule). A one-worker batch is a small import's; a national one's batches
      // of 1,000 lines span every worker.
      const one = await feed([line(r1!.ins, 'VG')]);
      expect(one.result.imported).toBe(1);
      const batch = one.transactions.filter((t) => t.written.includes(workers[0]!));
      expect(batch.map((t) => t.prepared)).toContainEqual([workers[0]]);
    });

    it('a purge', async () => {
      const r = await record();
      const res = await a.app.inject({
        method: 'POST',
        url: `/fhir/Patient/${r.id}/$request-deletion`,
        headers: { authorization: `Bearer ${await a.token({ kind: 'patient', ins: r.ins })}` },
      });
      expect(res.statusCode, res.body).toBe(200);
      a.clock.offsetMs = 24 * 3600 * 1000;
      try {
        const purge = await watch(() => purgeDueRecords(deps));
        expect(purge.result.purged).toBeGreaterThanOrEqual(1);
        expectPrepared(purge, 'purge');
      } finally {
        a.clock.offsetMs = 0;
      }
    });
  },
);
