import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import * as soap from 'soap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import { REPOSITORY_UNIQUE_ID } from '../../src/http/xds/xds.plugin.ts';
import { XDS } from '../../src/xds/ebrim.ts';
import { ACTIONS } from '../../src/xds/soap.ts';
import { NS } from '../../src/xds/xml.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

/**
 * Issue 19 acceptance: "a client generated from the IHE WSDLs with the npm `soap` package drives deposit, query,
 * retrieve and update end to end with a signed VIHF". The four IPF WSDLs (test/fixtures/ihe-wsdl, SOURCES.md) loaded
 * by `soap` 1.x, pointed at the server listening on 127.0.0.1: ITI-41 (inline and MTOM), ITI-18 FindDocuments,
 * ITI-43 (inline and MTOM), ITI-57 (mask), each call with a fresh VIHF in wsse:Security. What the package needed to
 * speak to the DMP's services (SOAP 1.2 headers, WS-Addressing, the VIHF header, MTOM) is set here and written in
 * docs/xds.md ("A client generated from the WSDLs").
 */
const WSDL = fileURLToPath(new URL('../fixtures/ihe-wsdl/', import.meta.url));
const ins = fx.nir('2790351215189');
const PATIENT_CX = `${ins}^^^&${fx.TEST_OID}&ISO`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object'
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** The VIHF of the next call: a custom `soap` security whose header is the signed assertion (single use). */
class VihfSecurity {
  assertion = '';
  toXML(): string {
    const xml = `<wsse:Security xmlns:wsse="${NS.wsse}">${this.assertion}</wsse:Security>`;
    this.assertion = ''; // each VIHF is used once: a call without a fresh one goes without
    return xml;
  }
}

interface Clients {
  readonly iti41: soap.Client;
  readonly iti43: soap.Client;
  readonly iti18: soap.Client;
  readonly iti57: soap.Client;
}

type Call = (args: unknown, options?: Record<string, unknown>) => Promise<unknown[]>;

function operation(client: soap.Client, name: string): Call {
  const fn = (client as unknown as Record<string, Call>)[`${name.replace(/\W/g, '_')}Async`];
  if (typeof fn !== 'function') {
    throw new Error(`the WSDL has no operation ${name}`);
  }
  return fn.bind(client);
}

describe('issue 19: a client generated from the IHE WSDLs (npm soap) drives the SOAP services', () => {
  let t: TestApp;
  let base: string;
  let clients: Clients;
  const security = new VihfSecurity();
  let author: Record<string, unknown>;

  async function freshVihf(): Promise<void> {
    const res = await fetch(`${base}/auth/dev/vihf`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(author),
    });
    expect(res.status).toBe(200);
    security.assertion = ((await res.json()) as { assertion: string }).assertion;
  }

  /** A client of one WSDL: SOAP 1.2, the service's URL, the action of the transaction, WS-Addressing, the VIHF. */
  async function client(wsdl: string, service: string, action: string): Promise<soap.Client> {
    const c = await soap.createClientAsync(`${WSDL}${wsdl}`, {
      forceSoap12Headers: true,
      parseReponseAttachments: true,
      normalizeNames: true, // ProvideAndRegisterDocumentSet-b → …_b, so that it gets its …Async form
      endpoint: `${base}${x.SERVICES}/${service}`,
    });
    c.setSOAPAction(action);
    c.setSecurity(security as unknown as soap.ISecurity);
    c.addSoapHeader(
      () =>
        `<wsa:Action xmlns:wsa="${NS.wsa}">${action}</wsa:Action>` +
        `<wsa:MessageID xmlns:wsa="${NS.wsa}">urn:uuid:${randomUUID()}</wsa:MessageID>` +
        `<wsa:To xmlns:wsa="${NS.wsa}">${base}${x.SERVICES}/${service}</wsa:To>`,
    );
    return c;
  }

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${String(port)}`;
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      publicBaseUrl: base,
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 0 },
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    const sample = Buffer.from(fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), ins), 'utf8');
    author = { structure: '1750300000', ...fx.authorTokenBody(fx.header(sample)) };
    await x.readableRecord(t, ins, author);
    clients = {
      iti41: await client('iti41.wsdl', 'repository', ACTIONS['ITI-41'].request),
      iti43: await client('iti43.wsdl', 'repository', ACTIONS['ITI-43'].request),
      iti18: await client('iti18.wsdl', 'registry', ACTIONS['ITI-18'].request),
      iti57: await client('iti57.wsdl', 'registry', ACTIONS['ITI-57'].request),
    };
  });
  afterAll(async () => {
    await t.close();
  });

  function freshCda(): { bytes: Buffer; uniqueId: string } {
    const bytes = Buffer.from(
      fx.rewriteDocumentId(
        fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), ins),
        fx.freshOid(),
      ),
      'utf8',
    );
    return { bytes, uniqueId: x.metadataOf(bytes).uniqueId };
  }

  it('loads the four WSDLs: the operations of ITI-41, ITI-43, ITI-18 and ITI-57', () => {
    const ops = (c: soap.Client) =>
      Object.values(c.describe() as Record<string, Record<string, Record<string, unknown>>>)
        .flatMap((s) => Object.values(s))
        .flatMap((p) => Object.keys(p));
    expect(ops(clients.iti41)).toEqual(['DocumentRepository_ProvideAndRegisterDocumentSet-b']);
    expect(ops(clients.iti43)).toEqual(['DocumentRepository_RetrieveDocumentSet']);
    expect(ops(clients.iti18)).toEqual(['DocumentRegistry_RegistryStoredQuery']);
    expect(ops(clients.iti57)).toEqual(['DocumentRegistry_UpdateDocumentSet']);
  });

  /** The ProvideAndRegisterDocumentSetRequest's content (the WSDL's wrapper element is written by the client). */
  function pnrContent(
    bytes: Buffer,
    mtom: boolean,
  ): { xml: string; parts: { id: string; mimeType: string; bytes: Buffer }[] } {
    const body = x.pnrBody([{ bytes, meta: x.metadataOf(bytes) }], mtom);
    const xml = body.xml
      .replace(/^<xdsb:ProvideAndRegisterDocumentSetRequest[^>]*>/, '')
      .replace(/<\/xdsb:ProvideAndRegisterDocumentSetRequest>$/, '')
      .replaceAll('<xdsb:Document ', `<xdsb:Document xmlns:xdsb="${NS.xdsb}" `);
    return { xml, parts: body.parts };
  }

  const deposited: { bytes: Buffer; uniqueId: string; entryUuid?: string }[] = [];

  function fault(c: soap.Client): (e: unknown) => never {
    return (e: unknown) => {
      throw new Error(
        `${(e as Error).message.slice(0, 400)}\nrequest: ${(c.lastRequest ?? '').slice(0, 400)}`,
      );
    };
  }

  it('deposits through ITI-41: one CDA inline (base64), one as an MTOM attachment', async () => {
    for (const mtom of [false, true]) {
      const cda = freshCda();
      const content = pnrContent(cda.bytes, mtom);
      await freshVihf();
      const [result] = await operation(
        clients.iti41,
        'DocumentRepository_ProvideAndRegisterDocumentSet-b',
      )(
        { $xml: content.xml },
        mtom
          ? {
              forceMTOM: true,
              attachments: content.parts.map((p) => ({
                mimetype: p.mimeType,
                contentId: p.id,
                name: 'cda.xml',
                body: p.bytes,
              })),
            }
          : {},
      ).catch(fault(clients.iti41));
      expect(result, JSON.stringify(result)).toEqual({ attributes: { status: SUCCESS } });
      deposited.push(cda);
    }
  });

  it('finds them through ITI-18 FindDocuments (LeafClass)', async () => {
    await freshVihf();
    const [result] = await operation(
      clients.iti18,
      'DocumentRegistry_RegistryStoredQuery',
    )(findDocuments(XDS.approved)).catch(fault(clients.iti18));
    const answer = result as { attributes: { status: string }; RegistryObjectList?: Json };
    expect(answer.attributes.status).toBe(SUCCESS);
    const entries = extrinsicObjects(answer);
    for (const d of deposited) {
      const entry = entries.find((e) => e.uniqueId === d.uniqueId);
      expect(entry, `${d.uniqueId} in ${JSON.stringify(entries)}`).toBeDefined();
      d.entryUuid = entry?.id.replace('urn:uuid:', '');
    }
    expect(entries.every((e) => e.status === XDS.approved)).toBe(true);
  });

  it('retrieves them through ITI-43 byte for byte, as MTOM attachments and inline', async () => {
    const uniqueIds = deposited.map((d) => d.uniqueId);
    const request = {
      DocumentRequest: uniqueIds.map((u) => ({
        RepositoryUniqueId: REPOSITORY_UNIQUE_ID,
        DocumentUniqueId: u,
      })),
    };
    await freshVihf();
    const [viaMtom, , , , attachments] = await operation(
      clients.iti43,
      'DocumentRepository_RetrieveDocumentSet',
    )(request, { forceMTOM: true }).catch(fault(clients.iti43));
    const parts = (attachments as soap.IMTOMAttachments).parts;
    const responses = list((viaMtom as Json)['DocumentResponse']) as Json[];
    expect(responses).toHaveLength(2);
    for (const [i, r] of responses.entries()) {
      const d = deposited.find((x) => x.uniqueId === r['DocumentUniqueId']);
      const href = ((r['Document'] as Json)['Include'] as { attributes: { href: string } })
        .attributes.href;
      const part = parts.find(
        (p) => `<${decodeURIComponent(href.replace(/^cid:/, ''))}>` === p.headers['content-id'],
      );
      expect(part?.body.equals(d?.bytes as Buffer), `document ${String(i)}`).toBe(true);
    }
    await freshVihf();
    const [inline] = await operation(
      clients.iti43,
      'DocumentRepository_RetrieveDocumentSet',
    )(request).catch(fault(clients.iti43));
    for (const r of list((inline as Json)['DocumentResponse']) as Json[]) {
      const d = deposited.find((x) => x.uniqueId === r['DocumentUniqueId']);
      expect(Buffer.from(String(r['Document']), 'base64').equals(d?.bytes as Buffer)).toBe(true);
    }
  });

  it('updates through ITI-57: the archived document leaves the Approved ones and is found Archived', async () => {
    const target = deposited[0]?.entryUuid ?? '';
    expect(target).not.toBe('');
    await freshVihf();
    const [result] = await operation(
      clients.iti57,
      'DocumentRegistry_UpdateDocumentSet',
    )({
      $xml:
        `<rim:RegistryObjectList xmlns:rim="${NS.rim}">` +
        `<rim:RegistryPackage id="ss"><rim:ExternalIdentifier identificationScheme="${XDS.ssUniqueId}" value="${fx.freshOid()}" id="e1" registryObject="ss"/></rim:RegistryPackage>` +
        `<rim:Classification classifiedObject="ss" classificationNode="${XDS.submissionSet}" id="c1"/>` +
        `<rim:Association associationType="urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus" sourceObject="ss" targetObject="urn:uuid:${target}" id="a1">` +
        `<rim:Slot name="OriginalStatus"><rim:ValueList><rim:Value>${XDS.approved}</rim:Value></rim:ValueList></rim:Slot>` +
        `<rim:Slot name="NewStatus"><rim:ValueList><rim:Value>${XDS.archived}</rim:Value></rim:ValueList></rim:Slot></rim:Association>` +
        `</rim:RegistryObjectList>`,
    }).catch(fault(clients.iti57));
    expect(result, JSON.stringify(result)).toEqual({ attributes: { status: SUCCESS } });
    for (const [status, found] of [
      [XDS.approved, false],
      [XDS.archived, true],
    ] as const) {
      await freshVihf();
      const [answer] = await operation(
        clients.iti18,
        'DocumentRegistry_RegistryStoredQuery',
      )(findDocuments(status)).catch(fault(clients.iti18));
      const entries = extrinsicObjects(answer as Json);
      expect(entries.some((e) => e.uniqueId === deposited[0]?.uniqueId)).toBe(found);
    }
  });

  it('a call without a fresh VIHF is a SOAP fault the client reports (wsse:InvalidSecurity)', async () => {
    const err = (await operation(
      clients.iti18,
      'DocumentRegistry_RegistryStoredQuery',
    )(findDocuments(XDS.approved)).then(
      () => undefined,
      (e: unknown) => e,
    )) as { root?: { Envelope?: { Body?: { Fault?: Json } } } } | undefined;
    expect(JSON.stringify(err?.root?.Envelope?.Body?.Fault)).toContain('VIHF_MISSING');
  });
});

type Json = Record<string, unknown>;
const SUCCESS = 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success';

function list(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

/** ITI-18 FindDocuments of the test record, as the client's object (the WSDL's types name the elements). */
function findDocuments(status: string): Json {
  return {
    ResponseOption: { attributes: { returnComposedObjects: 'true', returnType: 'LeafClass' } },
    AdhocQuery: {
      attributes: { id: STORED_QUERY.FindDocuments },
      Slot: [
        {
          attributes: { name: '$XDSDocumentEntryPatientId' },
          ValueList: { Value: `'${PATIENT_CX}'` },
        },
        { attributes: { name: '$XDSDocumentEntryStatus' }, ValueList: { Value: `('${status}')` } },
      ],
    },
  };
}

/** The ExtrinsicObjects of an AdhocQueryResponse as the client parsed it: id, status, uniqueId. */
function extrinsicObjects(answer: Json): { id: string; status: string; uniqueId: string }[] {
  const objects = list((answer['RegistryObjectList'] as Json | undefined)?.['ExtrinsicObject']);
  return (objects as Json[]).map((o) => {
    const attrs = o['attributes'] as Record<string, string>;
    const uniqueId = (list(o['ExternalIdentifier']) as { attributes: Record<string, string> }[])
      .map((e) => e.attributes)
      .find((a) => a['identificationScheme'] === XDS.docUniqueId)?.['value'];
    return { id: attrs['id'] ?? '', status: attrs['status'] ?? '', uniqueId: uniqueId ?? '' };
  });
}
