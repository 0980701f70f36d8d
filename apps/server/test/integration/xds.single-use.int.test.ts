import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { loadConfig } from '../../src/config.ts';
import { singleNode } from '../../src/db/engine.ts';
import { XDS } from '../../src/xds/ebrim.ts';
import { assertionKey } from '../../src/xds/vihf.ts';
import { parseXml } from '../../src/xds/xml.ts';
import { buildTestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 19, ADR 0039: an ITI-41's VIHF single use is written by the statement that stores its deposit, an ITI-57's in
 * the transaction of its update — one commit for both on a single PostgreSQL (on Citus the use stays a statement of
 * its own, on the coordinator, before the request: ADR 0037 §6). Every refusal is kept: a replay, alone or sent at
 * once, is refused VIHF_REPLAYED and traced as a failed authentication, and nothing of it is deposited or changed; a
 * deposit refused (its statement rolled back with the use) still uses its assertion before the answer leaves.
 */
const { EXAMPLE, GP } = x;

describe('the single use of an ITI-41 and an ITI-57 goes with their own writes (ADR 0039)', () => {
  let t: TestApp;
  const ins = fx.nir('2850575123467');
  let patientId = '';
  let address = 0;

  beforeAll(async () => {
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 0, authFailuresPerMinute: 0 },
    });
    patientId = await x.readableRecord(t, ins, GP);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A fresh copy of the example for this record (a new uniqueId each time, unless one is given). */
  function pnr(assertion: string, uniqueIdOf?: string): { xml: string; uniqueId: string } {
    const bytes = Buffer.from(
      fx.rewriteDocumentId(
        fx.rewriteIns(fx.readExample(EXAMPLE), ins),
        uniqueIdOf ?? fx.freshOid(),
      ),
    );
    const meta = x.metadataOf(bytes);
    return { xml: x.iti41(assertion, [{ bytes, meta }]).xml, uniqueId: meta.uniqueId };
  }

  const keyOf = (assertion: string): string =>
    assertionKey({
      issuer: /<saml2?:Issuer[^>]*>([^<]*)</.exec(assertion)?.[1] ?? '',
      assertionId: /ID="([^"]+)"/.exec(assertion)?.[1] ?? '',
    });

  /** The use's transaction id (xmin), or undefined when the assertion was not used. */
  async function useXmin(assertion: string): Promise<string | undefined> {
    const [used] = await t.db.owner<{ xmin: string }[]>`
      SELECT xmin::text FROM vihf_assertion_used WHERE assertion_key = ${keyOf(assertion)}`;
    return used?.xmin;
  }

  async function documents(): Promise<number> {
    const [row] = await t.db.owner<{ n: number }[]>`
      SELECT count(*)::int AS n FROM document WHERE patient_id = ${patientId}`;
    return row?.n ?? -1;
  }

  /** Sends envelopes at once, each from a fresh address: each answer's fault code (or `accepted`), and the addresses. */
  async function send(
    service: string,
    envelopes: readonly string[],
  ): Promise<{ codes: string[]; addresses: string[]; answers: x.XElementLike[] }> {
    const addresses = envelopes.map(() => `192.0.2.${String(++address)}`);
    const answers = await Promise.all(
      envelopes.map((payload, i) =>
        t.app.inject({
          method: 'POST',
          url: `${x.SERVICES}/${service}`,
          headers: { 'content-type': 'application/soap+xml' },
          payload,
          remoteAddress: addresses[i] as string,
        }),
      ),
    );
    const roots = answers.map((a) => parseXml(a.rawPayload));
    return {
      codes: roots.map((r) => x.faultOf(r)?.code ?? 'accepted'),
      addresses,
      answers: roots,
    };
  }

  /** The failed authentications traced from these addresses (they are appended after the answer). */
  async function authFailures(addresses: readonly string[], expected: number): Promise<string[]> {
    let traced: { reason_code: string }[] = [];
    for (let i = 0; i < 100 && traced.length < expected; i++) {
      traced = await t.db.owner<{ reason_code: string }[]>`
        SELECT reason_code FROM system_audit_event
        WHERE action = 'auth.failure' AND detail->>'clientAddress' = ANY(${addresses as string[]})`;
      if (traced.length < expected) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return traced.map((r) => r.reason_code);
  }

  it("an ITI-41's use is written in its deposit's transaction; a replay, alone or sent four times at once, deposits nothing and is refused, traced", async () => {
    const assertion = await x.vihf(t, GP);
    const first = pnr(assertion);
    const before = await documents();
    const ok = await send('repository', [first.xml]);
    expect(ok.codes).toEqual(['accepted']);
    expect(x.registryOutcome(ok.answers[0] as x.XElementLike).errors).toEqual([]);
    expect(await documents()).toBe(before + 1);
    const [deposited] = await t.db.owner<{ xmin: string }[]>`
      SELECT xmin::text FROM document WHERE patient_id = ${patientId} AND unique_id = ${first.uniqueId}`;
    // One transaction, one commit: the use and the deposit (on Citus the use is a statement of its own).
    if (await singleNode(t.deps.sql)) {
      expect(await useXmin(assertion)).toBe(deposited?.xmin);
    } else {
      expect(await useXmin(assertion)).not.toBe(deposited?.xmin);
    }

    // The same assertion again, with another document: refused, nothing deposited, traced.
    const replay = await send('repository', [pnr(assertion).xml]);
    expect(replay.codes).toEqual(['VIHF_REPLAYED']);
    expect(await authFailures(replay.addresses, 1)).toEqual(['VIHF_REPLAYED']);
    expect(await documents()).toBe(before + 1);

    // A fresh assertion sent four times at once, each with its own document: exactly one deposits.
    const fresh = await x.vihf(t, GP);
    const burst = await send(
      'repository',
      [0, 1, 2, 3].map(() => pnr(fresh).xml),
    );
    expect(burst.codes.filter((c) => c === 'accepted')).toHaveLength(1);
    expect(burst.codes.filter((c) => c === 'VIHF_REPLAYED')).toHaveLength(3);
    const refusedFrom = burst.addresses.filter((_, i) => burst.codes[i] === 'VIHF_REPLAYED');
    expect(await authFailures(refusedFrom, 3)).toEqual([
      'VIHF_REPLAYED',
      'VIHF_REPLAYED',
      'VIHF_REPLAYED',
    ]);
    expect(await documents()).toBe(before + 2);
    const [traces] = await t.db.owner<{ n: number }[]>`
      SELECT count(*)::int AS n FROM audit_event WHERE patient_id = ${patientId} AND action = 'document.deposit'`;
    expect(traces?.n).toBe(before + 2);
  });

  it('a deposit refused after its checks (its statement, and the use in it, rolled back) still uses its assertion: answered with its error, then a replay is refused', async () => {
    const taken = pnr(await x.vihf(t, GP));
    expect((await send('repository', [taken.xml])).codes).toEqual(['accepted']);
    const before = await documents();
    // The same uniqueId again: refused by the deposit's statement itself (the claim), which held the use.
    const assertion = await x.vihf(t, GP);
    const again = await send('repository', [pnr(assertion, taken.uniqueId).xml]);
    expect(again.codes).toEqual(['accepted']);
    expect(
      x
        .registryOutcome(again.answers[0] as x.XElementLike)
        .errors.map((e) => e.codeContext.split(':')[0]),
    ).toEqual(['DOC_UNIQUE_ID_EXISTS']);
    expect(await useXmin(assertion)).toBeDefined();
    const replay = await send('repository', [pnr(assertion).xml]);
    expect(replay.codes).toEqual(['VIHF_REPLAYED']);
    expect(await documents()).toBe(before);
  });

  it("an ITI-57's use is written in its update's transaction; a replay changes nothing and is refused, traced", async () => {
    const doc = pnr(await x.vihf(t, GP));
    expect((await send('repository', [doc.xml])).codes).toEqual(['accepted']);
    const [row] = await t.db.owner<{ id: string }[]>`
      SELECT id FROM document WHERE patient_id = ${patientId} AND unique_id = ${doc.uniqueId}`;
    const id = row?.id ?? '';
    const update = (assertion: string, status: string): string =>
      x.iti57(assertion, x.statusUpdate(id, status));
    const archives = async (): Promise<{ xmin: string }[]> =>
      t.db.owner<{ xmin: string }[]>`
        SELECT xmin::text FROM audit_event WHERE patient_id = ${patientId} AND entity_id = ${id}
          AND action = 'document.archive'`;
    const assertion = await x.vihf(t, GP);
    const archived = await send('registry', [update(assertion, XDS.archived)]);
    expect(archived.codes).toEqual(['accepted']);
    expect(x.registryOutcome(archived.answers[0] as x.XElementLike).errors).toEqual([]);
    const traced = await archives();
    expect(traced).toHaveLength(1);
    if (await singleNode(t.deps.sql)) {
      expect(await useXmin(assertion)).toBe(traced[0]?.xmin);
    } else {
      expect(await useXmin(assertion)).not.toBe(traced[0]?.xmin);
    }
    const replay = await send('registry', [update(assertion, XDS.approved)]);
    expect(replay.codes).toEqual(['VIHF_REPLAYED']);
    expect(await authFailures(replay.addresses, 1)).toEqual(['VIHF_REPLAYED']);
    const [status] = await t.db.owner<{ archived: boolean; version_id: number }[]>`
      SELECT archived, version_id FROM document WHERE patient_id = ${patientId} AND id = ${id}`;
    expect(status).toEqual({ archived: true, version_id: 2 });
  });
});
