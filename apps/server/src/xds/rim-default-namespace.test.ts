import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { completeDraft, type DocumentMetadata } from '../domain/documents/model.ts';
import { extrinsicObject, readSubmitObjects, XDS } from './ebrim.ts';
import { withRimAsDefault } from './rim-default-namespace.ts';
import { validateEnvelope } from './schema.ts';
import { ACTIONS, readEnvelope, responseEnvelope } from './soap.ts';
import { kid, NS, parseXml, type XElement } from './xml.ts';

const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));
const NIST = `${SHARED}data/external/usnistgov-iheos-toolkit2/validators-registry-message/testdata/messagevalidator/`;

/** A DocumentEntry's metadata from the NIST sample, with values that spell the markup being rewritten. */
function metadata(): DocumentMetadata {
  const env = readEnvelope(parseXml(fs.readFileSync(`${NIST}soap-pnr.xml`)));
  const so = readSubmitObjects(kid(env.payload, NS.lcm, 'SubmitObjectsRequest') as never);
  const meta = completeDraft({
    ...so.documents[0]?.draft,
    hash: 'a'.repeat(40),
    size: 12,
    title: 'CR <rim:Slot name="x"> & </rim:Value> "rim:"',
    description: '</rim:ExtrinsicObject><rim:Value>',
  });
  if (!meta.ok) {
    throw new Error('incomplete');
  }
  return meta.value;
}

const IDS = {
  entryUuid: '11111111-1111-4111-8111-111111111111',
  logicalId: '22222222-2222-4222-8222-222222222222',
  version: 2,
  status: XDS.approved,
  repositoryUniqueId: '1.2.3',
};

/** An element and its descendants without line numbers (the infoset the answer's reader sees). */
function infoset(e: XElement): unknown {
  return {
    ns: e.ns,
    name: e.name,
    attrs: e.attrs,
    text: e.text,
    children: e.children.map(infoset),
  };
}

function answer(objects: string): Buffer {
  return Buffer.from(
    responseEnvelope(
      ACTIONS['ITI-18'].response,
      undefined,
      `<query:AdhocQueryResponse xmlns:query="${NS.query}" xmlns:rim="${NS.rim}" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success">` +
        `<rim:RegistryObjectList>${objects}</rim:RegistryObjectList></query:AdhocQueryResponse>`,
    ),
  );
}

describe('withRimAsDefault (ADR 0041)', () => {
  const prefixed = extrinsicObject(metadata(), IDS);
  const unprefixed = withRimAsDefault(prefixed);

  it('N2: the element declares the rim namespace as its default, first', () => {
    expect(
      unprefixed.startsWith(`<ExtrinsicObject xmlns="${NS.rim}" id="urn:uuid:${IDS.entryUuid}"`),
    ).toBe(true);
    expect(unprefixed.endsWith('</ExtrinsicObject>')).toBe(true);
  });

  it('N3: no rim: prefix is left in the markup, and the answer is shorter', () => {
    expect(unprefixed).not.toMatch(/<\/?rim:/);
    expect(Buffer.byteLength(unprefixed)).toBeLessThan(Buffer.byteLength(prefixed) * 0.93);
  });

  it('reads as the same elements, attributes and values (text spelling markup included)', () => {
    const a = readEnvelope(parseXml(answer(prefixed))).payload;
    const b = readEnvelope(parseXml(answer(unprefixed))).payload;
    expect(infoset(b)).toEqual(infoset(a));
    expect(JSON.stringify(infoset(b))).toContain('"name":"Classification"');
    const entry = readSubmitObjects(
      parseXml(
        Buffer.from(
          `<lcm:SubmitObjectsRequest xmlns:lcm="${NS.lcm}"><rim:RegistryObjectList xmlns:rim="${NS.rim}">${unprefixed}</rim:RegistryObjectList></lcm:SubmitObjectsRequest>`,
        ),
      ),
    ).documents[0]?.draft;
    expect(entry?.title).toBe('CR <rim:Slot name="x"> & </rim:Value> "rim:"');
    expect(entry?.description).toBe('</rim:ExtrinsicObject><rim:Value>');
    expect(entry?.uniqueId).toBe(metadata().uniqueId);
  });

  it('stays valid against the ebRS 3.0 query response schema, beside prefixed objects', () => {
    expect(() =>
      parseXml(
        answer(
          `${unprefixed}${prefixed.replace(IDS.entryUuid, '33333333-3333-4333-8333-333333333333')}`,
        ),
        {
          validate: validateEnvelope,
        },
      ),
    ).not.toThrow();
  });

  it.each([['<ExtrinsicObject/>'], ['<rim:'], [''], [' <rim:ExtrinsicObject/>']])(
    'N1: refuses %j (not one rim: element)',
    (xml) => {
      expect(() => withRimAsDefault(xml)).toThrow();
    },
  );
});
