import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  extrinsicObject,
  readSubmitObjects,
  registryResponse,
  XDS,
  xdsTimeToFhir,
} from './ebrim.ts';
import { buildMultipartRelated, cidOf, parseMultipartRelated } from './mtom.ts';
import { validateEnvelope } from './schema.ts';
import { faultEnvelope, readEnvelope, SoapFault, transactionOf } from './soap.ts';
import { esc, kid, NS, parseXml, XmlFailure } from './xml.ts';
import { completeDraft } from '../domain/documents/model.ts';

const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));
const NIST = `${SHARED}data/external/usnistgov-iheos-toolkit2/validators-registry-message/testdata/messagevalidator/`;
const IPF = `${SHARED}data/external/oehf-ipf/commons/ihe/xds/src/test/resources/`;

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('hardened XML', () => {
  it.each([
    ['<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', 'XML_DOCTYPE_FORBIDDEN'],
    ['<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>', 'XML_DOCTYPE_FORBIDDEN'],
    ['<x>&xxe;</x>', 'XML_NOT_WELL_FORMED'],
    ['<x><y></x>', 'XML_NOT_WELL_FORMED'],
    ['<a>'.repeat(70) + '</a>'.repeat(70), 'XML_TOO_DEEP'],
  ])('refuses %s', (xml, expected) => {
    expect(code(() => parseXml(Buffer.from(xml)))).toBe(expected);
  });

  it('bounds the element count and the size', () => {
    const many = `<a>${'<b/>'.repeat(50)}</a>`;
    expect(code(() => parseXml(Buffer.from(many), { limits: { maxElements: 10 } }))).toBe(
      'XML_TOO_MANY_NODES',
    );
    expect(code(() => parseXml(Buffer.from(many), { limits: { maxBytes: 10 } }))).toBe(
      'XML_TOO_LARGE',
    );
  });

  it('moves an xop:Include onto its parent', () => {
    const t = parseXml(
      Buffer.from(
        '<a xmlns:xop="http://www.w3.org/2004/08/xop/include"><d><xop:Include href="cid:1%402"/></d></a>',
      ),
    );
    expect(t.children[0]?.xop).toBe('cid:1%402');
    expect(t.children[0]?.children).toHaveLength(0);
    expect(cidOf('cid:1%402')).toBe('1@2');
  });
});

describe('escaping', () => {
  it.each([
    ['plain 1.2.250.1.213.1.4.10', 'plain 1.2.250.1.213.1.4.10'],
    [`a&b<c>"d'e\r`, 'a&amp;b&lt;c&gt;&quot;d&apos;e&#13;'],
    ['bell\u0007 nul\u0000 tab\t', 'bell nul tab\t'],
    ['émoji 😀 kept', 'émoji 😀 kept'],
    ['lone \uD83D surrogate \uFFFE', 'lone  surrogate '],
  ])('%j → %j', (input, output) => {
    expect(esc(input)).toBe(output);
    // What is written parses back to the text (less the characters XML cannot carry).
    expect(parseXml(Buffer.from(`<a>${esc(input)}</a>`)).text).toBe(
      output
        .replace(/&#13;/g, '\r')
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'"),
    );
  });
});

describe('ebRS / XDS.b schema', () => {
  it.each(['soap-pnr.xml', 'soap-ret-req.xml', 'soap-sq-req.xml'])(
    'accepts the NIST sample %s',
    (f) => {
      expect(() =>
        parseXml(fs.readFileSync(`${NIST}${f}`), { validate: validateEnvelope }),
      ).not.toThrow();
    },
  );

  it('refuses a Body element that breaks the schema, whole', () => {
    const xml = fs
      .readFileSync(`${NIST}soap-sq-req.xml`, 'utf8')
      .replace(/<query:ResponseOption[^>]*\/>/, '');
    expect(code(() => parseXml(Buffer.from(xml), { validate: validateEnvelope }))).toBe(
      'XML_SCHEMA_INVALID',
    );
  });
});

describe('SOAP 1.2 envelope', () => {
  it('reads the action, message id and payload of the NIST ITI-41 sample', () => {
    const env = readEnvelope(parseXml(fs.readFileSync(`${NIST}soap-pnr.xml`)));
    expect(env.action).toBe('urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b');
    expect(transactionOf(env.action)).toBe('ITI-41');
    expect(env.payload.name).toBe('ProvideAndRegisterDocumentSetRequest');
  });

  it('answers a SOAP 1.1 envelope with VersionMismatch', () => {
    const xml = `<s:Envelope xmlns:s="${NS.soap11}"><s:Body/></s:Envelope>`;
    let fault: unknown;
    try {
      readEnvelope(parseXml(Buffer.from(xml)));
    } catch (e) {
      fault = e;
    }
    expect(fault).toBeInstanceOf(SoapFault);
    expect((fault as SoapFault).faultCode).toBe('VersionMismatch');
    const out = faultEnvelope(fault as SoapFault, 'urn:uuid:1');
    expect(out).toContain('<env:Value>env:VersionMismatch</env:Value>');
    expect(() => parseXml(Buffer.from(out))).not.toThrow();
  });

  it('requires wsa:Action', () => {
    const xml = `<e:Envelope xmlns:e="${NS.soap12}"><e:Header/><e:Body><x/></e:Body></e:Envelope>`;
    expect(code(() => readEnvelope(parseXml(Buffer.from(xml))))).toBe('SOAP_ACTION_MISSING');
  });
});

describe('MTOM', () => {
  it('splits the NIST MTOM capture (bare LF line breaks) into its envelope and attachment', () => {
    const raw = fs.readFileSync(`${NIST}http-mtom-pnr.txt`);
    const headerEnd = raw.indexOf('\n\n');
    const contentType = /Content-Type: (.*)/.exec(raw.subarray(0, headerEnd).toString())?.[1] ?? '';
    const mp = parseMultipartRelated(contentType, raw.subarray(headerEnd + 2));
    const env = readEnvelope(parseXml(mp.root));
    const doc = kid(env.payload, NS.xdsb, 'Document');
    const id = cidOf(doc?.xop ?? '') ?? '';
    expect(mp.parts.get(id)?.toString('utf8')).toMatch(/^Four score and seven years ago/);
  });

  it('writes what it reads, bytes exact', () => {
    const bytes = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]);
    const out = buildMultipartRelated(
      '<e/>',
      [{ id: 'd1', mimeType: 'text/xml', bytes }],
      'a',
      'b0',
    );
    const back = parseMultipartRelated(out.contentType, out.body);
    expect(back.root.toString()).toBe('<e/>');
    expect(back.parts.get('d1')?.equals(bytes)).toBe(true);
  });

  it('refuses an unclosed body', () => {
    expect(
      code(() =>
        parseMultipartRelated('multipart/related; boundary=x', Buffer.from('--x\r\n\r\nabc')),
      ),
    ).toBe('MTOM_INVALID');
  });
});

describe('ebRIM ↔ DocumentMetadata', () => {
  it('reads the NIST ITI-41 sample: two entries, the submission set, HasMember associations', () => {
    const env = readEnvelope(parseXml(fs.readFileSync(`${NIST}soap-pnr.xml`)));
    const so = readSubmitObjects(kid(env.payload, NS.lcm, 'SubmitObjectsRequest') as never);
    expect(so.documents).toHaveLength(2);
    expect(so.submissionSet?.uniqueId).toBe('1.42.20100312105241.4');
    expect(so.associations.every((a) => a.type === XDS.hasMember)).toBe(true);
    const d = so.documents[0]?.draft;
    expect(d?.uniqueId).toBe('1.42.20100312105241.2');
    expect(d?.type?.code).toBe('34108-1');
    expect(d?.patient).toEqual({ value: '53ff11cb404344e', oid: '1.3.6.1.4.1.21367.2005.3.7' });
  });

  it.each(fs.readdirSync(IPF).filter((f) => f.startsWith('SubmitObjectsRequest')))(
    'reads the IPF sample %s',
    (f) => {
      const so = readSubmitObjects(parseXml(fs.readFileSync(`${IPF}${f}`)));
      expect(so.documents.length + so.folders.length + so.associations.length).toBeGreaterThan(0);
    },
  );

  it('writes an ExtrinsicObject that reads back to the same metadata', () => {
    const env = readEnvelope(parseXml(fs.readFileSync(`${NIST}soap-pnr.xml`)));
    const so = readSubmitObjects(kid(env.payload, NS.lcm, 'SubmitObjectsRequest') as never);
    const draft = { ...so.documents[0]?.draft, hash: 'a'.repeat(40), size: 12 };
    const meta = completeDraft(draft);
    if (!meta.ok) {
      throw new Error('incomplete');
    }
    const xml = `<rim:RegistryObjectList xmlns:rim="${NS.rim}">${extrinsicObject(meta.value, {
      entryUuid: '11111111-1111-4111-8111-111111111111',
      logicalId: '22222222-2222-4222-8222-222222222222',
      version: 1,
      status: XDS.approved,
      repositoryUniqueId: '1.2.3',
    })}</rim:RegistryObjectList>`;
    const back = readSubmitObjects(
      parseXml(
        Buffer.from(
          `<lcm:SubmitObjectsRequest xmlns:lcm="${NS.lcm}">${xml}</lcm:SubmitObjectsRequest>`,
        ),
      ),
    );
    const again = back.documents[0]?.draft;
    expect(again?.uniqueId).toBe(meta.value.uniqueId);
    expect(again?.type).toEqual(meta.value.type);
    expect(again?.confidentiality).toEqual(meta.value.confidentiality);
    expect(again?.creation).toBe(meta.value.creation);
    expect(again?.serviceStart).toBe(meta.value.serviceStart);
    expect(again?.authors?.map((a) => a.name)).toEqual(meta.value.authors.map((a) => a.name));
    expect(again?.hash).toBe('a'.repeat(40));
  });

  it('reports metadata errors with the XDS code and the project code', () => {
    const xml = `<lcm:SubmitObjectsRequest xmlns:lcm="${NS.lcm}"><rim:RegistryObjectList xmlns:rim="${NS.rim}"><rim:RegistryPackage id="p"/></rim:RegistryObjectList></lcm:SubmitObjectsRequest>`;
    let issues: { errorCode: string; code: string }[] = [];
    try {
      readSubmitObjects(parseXml(Buffer.from(xml)));
    } catch (e) {
      issues = (e as { issues: typeof issues }).issues;
    }
    expect(issues[0]).toMatchObject({
      errorCode: 'XDSRegistryMetadataError',
      code: 'XDS_PACKAGE_UNCLASSIFIED',
    });
    const response = registryResponse(issues as never);
    expect(response).toContain('ResponseStatusType:Failure');
    expect(response).toContain('codeContext="XDS_PACKAGE_UNCLASSIFIED: ');
  });

  it('converts XDS times', () => {
    expect(xdsTimeToFhir('20061224')).toBe('2006-12-24');
    expect(xdsTimeToFhir('200612230800')).toBe('2006-12-23T08:00:00Z');
    expect(xdsTimeToFhir('2006-12')).toBeUndefined();
  });
});

it('XmlFailure carries its code', () => {
  expect(new XmlFailure('XML_TOO_DEEP', 'x').code).toBe('XML_TOO_DEEP');
});
