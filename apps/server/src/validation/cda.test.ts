import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasDoctype, parseCda, sanitizeLibxmlMessage } from './cda.ts';

const EXAMPLES = fileURLToPath(
  new URL(
    '../../../../../shared/data/external/ansforge-TestContenuCDA-3-0/ExemplesCDA/',
    import.meta.url,
  ),
);
const example = (name: string): string => readFileSync(EXAMPLES + name, 'utf8');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const VAC = example('VAC_2023.01.xml');

function failure(bytes: Uint8Array | string): { code: string; message: string } {
  const r = parseCda(typeof bytes === 'string' ? enc(bytes) : bytes);
  if (r.ok) {
    throw new Error('expected a failure');
  }
  expect(r.error).toHaveLength(1);
  return r.error[0]!;
}

describe('parseCda: entities and DTDs', () => {
  const XXE =
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ClinicalDocument xmlns="urn:hl7-org:v3">&e;</ClinicalDocument>';
  const LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>`;

  it.each([
    ['an external entity (XXE)', XXE],
    ['billion laughs', LAUGHS],
    ['a parameter entity', '<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><x/>'],
    [
      'an external DTD',
      '<?xml version="1.0"?><!DOCTYPE ClinicalDocument SYSTEM "http://example.org/cda.dtd"><x/>',
    ],
    [
      'a DOCTYPE after comments and PIs',
      `<?xml version="1.0"?>\n<!-- c -->\n<?pi x?>\n<!DOCTYPE x><x/>`,
    ],
    [
      'a DOCTYPE in a real CDA',
      VAC.replace(
        '<ClinicalDocument',
        '<!DOCTYPE ClinicalDocument [<!ENTITY x "y">]>\n<ClinicalDocument',
      ),
    ],
  ])('refuses %s before parsing', (_label, xml) => {
    expect(failure(xml).code).toBe('CDA_DOCTYPE_FORBIDDEN');
  });

  it('refuses a DOCTYPE in UTF-16 (with and without BOM)', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>';
    const le = new Uint8Array(xml.length * 2);
    for (let i = 0; i < xml.length; i++) {
      le[i * 2] = xml.charCodeAt(i);
    }
    expect(failure(le).code).toBe('CDA_DOCTYPE_FORBIDDEN');
    const bom = new Uint8Array([0xff, 0xfe, ...le]);
    expect(failure(bom).code).toBe('CDA_DOCTYPE_FORBIDDEN');
  });

  it('still refuses a DOCTYPE in an encoding the pre-scan does not read (UCS-4), after parsing', () => {
    const xml = '<?xml version="1.0" encoding="UCS-4"?><!DOCTYPE x [<!ENTITY e "y">]><x>&e;</x>';
    const u32 = new Uint8Array(xml.length * 4);
    for (let i = 0; i < xml.length; i++) {
      u32[i * 4 + 3] = xml.charCodeAt(i);
    }
    expect(hasDoctype(u32)).toBe(false);
    expect(failure(u32).code).toBe('CDA_DOCTYPE_FORBIDDEN');
  });

  it('stops billion laughs that reach the parser (UCS-4) on libxml2 amplification limits', () => {
    let ents = '<!ENTITY lol "lol">';
    for (let i = 2; i <= 12; i++) {
      ents += `<!ENTITY lol${i} "${`&lol${i === 2 ? '' : i - 1};`.repeat(10)}">`;
    }
    const xml = `<?xml version="1.0" encoding="UCS-4"?><!DOCTYPE x [${ents}]><x>&lol12;</x>`;
    const u32 = new Uint8Array(xml.length * 4);
    for (let i = 0; i < xml.length; i++) {
      u32[i * 4 + 3] = xml.charCodeAt(i);
    }
    expect(['CDA_NOT_WELL_FORMED', 'CDA_DOCTYPE_FORBIDDEN']).toContain(failure(u32).code);
  });

  it('does not expand an undeclared entity, nor follow XInclude', () => {
    expect(failure('<ClinicalDocument xmlns="urn:hl7-org:v3">&e;</ClinicalDocument>').code).toBe(
      'CDA_NOT_WELL_FORMED',
    );
    const xi = VAC.replace(
      '<title>',
      '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/><title>',
    );
    const f = failure(xi);
    expect(f.code).toBe('CDA_SCHEMA_INVALID');
    expect(f.message).not.toMatch(/root:x:0/);
  });

  it('hasDoctype reads only the prolog', () => {
    expect(hasDoctype(enc('<x><![CDATA[<!DOCTYPE y>]]></x>'))).toBe(false);
    expect(hasDoctype(enc('\uFEFF <?xml version="1.0"?><!--<!DOCTYPE-->\n<x/>'))).toBe(false);
    expect(hasDoctype(enc('\uFEFF<?xml version="1.0"?>\n<!DOCTYPE x><x/>'))).toBe(true);
    expect(hasDoctype(enc('<!-- unterminated'))).toBe(false);
    expect(hasDoctype(new Uint8Array())).toBe(false);
  });
});

describe('parseCda: size and depth (issue 17 rule 9)', () => {
  /** The ANS level 1 example with its base64 body grown to `bytes` characters (still valid base64). */
  function bigLevelOne(bytes: number): Uint8Array {
    const n1 = example('DOC_NON_STRUCTURE_CDA-R2-N1.xml');
    const open = n1.indexOf('representation="B64">') + 'representation="B64">'.length;
    const close = n1.indexOf('</text>', open);
    const body = 'QUJD'.repeat(Math.ceil(bytes / 4));
    return enc(n1.slice(0, open) + body + n1.slice(close));
  }

  it("reads a CDA N1 whose body is one 15 MB text node (beyond libxml2's 10 MB default)", () => {
    const r = parseCda(bigLevelOne(15 * 1024 * 1024));
    expect(r.ok && r.value.body).toEqual({
      kind: 'nonXML',
      mediaType: 'application/pdf',
      representation: 'B64',
    });
  });

  const nested = (depth: number): string =>
    `<ClinicalDocument xmlns="urn:hl7-org:v3">${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</ClinicalDocument>`;

  it.each([300, 2000])('refuses elements nested %i deep', (depth) => {
    expect(failure(nested(depth)).code).toBe('CDA_TOO_DEEP');
  });

  it('refuses nesting beyond what libxml2 parses at all', () => {
    expect(failure(nested(5000)).code).toBe('CDA_NOT_WELL_FORMED');
  });

  it('refuses schema-valid recursion (sections in sections) nested too deep', () => {
    const depth = 200;
    const open = '<component><section>'.repeat(depth);
    const close = '</section></component>'.repeat(depth);
    const deep = VAC.replace(/<component>\s*<structuredBody>/, `$&${open}<title/>${close}`);
    expect(failure(deep).code).toBe('CDA_TOO_DEEP');
  });
});

describe('parseCda: invalid input', () => {
  it.each([
    [
      'non-XML bytes',
      new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x00, 0xff]),
      'CDA_NOT_WELL_FORMED',
    ],
    ['empty input', new Uint8Array(), 'CDA_NOT_WELL_FORMED'],
    ['truncated XML', enc(VAC.slice(0, 5000)), 'CDA_NOT_WELL_FORMED'],
    ['another root', enc('<Bundle xmlns="http://hl7.org/fhir"/>'), 'CDA_NOT_CLINICAL_DOCUMENT'],
    [
      'a ClinicalDocument outside the HL7 namespace',
      enc('<ClinicalDocument/>'),
      'CDA_NOT_CLINICAL_DOCUMENT',
    ],
    [
      'an empty ClinicalDocument',
      enc('<ClinicalDocument xmlns="urn:hl7-org:v3"/>'),
      'CDA_SCHEMA_INVALID',
    ],
    [
      'an unknown header element',
      enc(VAC.replace('<title>', '<foo>bar</foo><title>')),
      'CDA_SCHEMA_INVALID',
    ],
    ['a missing code', enc(VAC.replace(/<code code="11369-6"[^>]*\/>/, '')), 'CDA_SCHEMA_INVALID'],
    [
      'an id without root',
      enc(VAC.replace('<id root="1.2.250.1.213.1.1.1.37.2023.1.1"/>', '<id nullFlavor="NI"/>')),
      'CDA_HEADER_INCOMPLETE',
    ],
  ])('refuses %s', (_label, bytes, code) => {
    expect(failure(bytes).code).toBe(code);
  });

  it('reports schema errors with line numbers and element names, never the values', () => {
    const f = failure(
      VAC.replace(
        '<effectiveTime value="20210409170000+0100"/>',
        '<effectiveTime value="Jean Dupont 1979"/>',
      ).replace('<id root="1.2.250.1.213.1.1.1.37.2023.1.1"/>', '<id root="PAT-TROIS DOMINIQUE"/>'),
    );
    expect(f.code).toBe('CDA_SCHEMA_INVALID');
    expect(f.message).toMatch(/line \d+: Element '\{urn:hl7-org:v3\}id', attribute 'root'/);
    expect(f.message).toMatch(/\{urn:hl7-org:v3\}effectiveTime/);
    expect(f.message).not.toMatch(/Dupont|DOMINIQUE|1979/);
  });

  it('validates the ClinicalDocument an ANS self-presenting stylesheet wraps', () => {
    const pps = example('CANCER-PPS_2022.01_Autopresentable.xml');
    const ok = parseCda(enc(pps));
    expect(ok.ok && ok.value.selfPresenting).toBe(true);
    expect(failure(pps.replace('<c:title>', '<c:foo/><c:title>')).code).toBe('CDA_SCHEMA_INVALID');
  });
});

describe('parseCda: header', () => {
  it('reads the header the DMP needs', () => {
    const r = parseCda(enc(VAC));
    expect(r.ok).toBe(true);
    if (!r.ok) {
      return;
    }
    const h = r.value;
    expect(h.id).toEqual({ root: '1.2.250.1.213.1.1.1.37.2023.1.1' });
    expect(h.code).toMatchObject({ code: '11369-6', codeSystem: '2.16.840.1.113883.6.1' });
    expect(h.title).toBe('Historique de vaccinations');
    expect(h.effectiveTime).toBe('20210409170000+0100');
    expect(h.confidentialityCode?.code).toBe('N');
    expect(h.languageCode).toBe('fr-FR');
    expect(h.setId).toEqual({ root: '1.2.250.1.213.1.1.1.37.2023.1' });
    expect(h.versionNumber).toBe(1);
    expect(h.templateIds.at(-1)).toEqual({ root: '1.2.250.1.213.1.1.1.37', extension: '2023.01' });
    expect(h.ins).toEqual({ value: '279035121518989', oid: '1.2.250.1.213.1.4.10' });
    expect(h.authors[0]).toMatchObject({
      idNatPs: '801234567897',
      role: { code: 'G15_10/SM26', codeSystem: '1.2.250.1.213.1.1.4.5' },
      person: { family: 'MULLER', given: ['Charles'] },
      organization: { ids: [{ root: '1.2.250.1.71.4.2.2', extension: '1750803447' }] },
    });
    expect(h.custodian?.name).toBe('Assurance Maladie');
    expect(h.legalAuthenticator?.time).toBe('20210409170000+0100');
    expect(h.serviceEvents[0]?.low).toBe('20210409170000+0100');
    expect(h.serviceEvents[0]?.performers[0]?.organization?.industryCode?.code).toBe('AMO');
    expect(h.healthCareFacilityCode).toMatchObject({
      code: 'SA24',
      codeSystem: '1.2.250.1.71.4.2.4',
    });
    expect(h.body).toEqual({ kind: 'structured' });
    expect(h.relatedDocuments).toEqual([]);
  });

  it('reads a level-1 body, a replacement and an IPP', () => {
    // relatedDocument comes after documentationOf, before componentOf (CDA schema order).
    const n1 = example('DOC_NON_STRUCTURE_CDA-R2-N1.xml').replace(
      '<componentOf>',
      '<relatedDocument typeCode="RPLC"><parentDocument><id root="1.2.3.4" extension="v1"/></parentDocument></relatedDocument><componentOf>',
    );
    const r = parseCda(enc(n1));
    expect(r.ok).toBe(true);
    if (!r.ok) {
      return;
    }
    expect(r.value.body).toEqual({
      kind: 'nonXML',
      mediaType: 'application/pdf',
      representation: 'B64',
    });
    expect(r.value.relatedDocuments).toEqual([
      { typeCode: 'RPLC', ids: [{ root: '1.2.3.4', extension: 'v1' }] },
    ]);
    expect(r.value.patientIds).toContainEqual({
      root: '1.2.3.4.567.8.9.10',
      extension: '1234567890121',
    });
  });
});

describe('parseCda: the patient (issue 17 rule 10)', () => {
  it('reads every recordTarget with its sex and birth date', () => {
    const second =
      '<recordTarget><patientRole><id root="1.2.250.1.213.1.4.10" extension="180017512345698"/>' +
      '<patient><name><family>AUTRE</family></name><administrativeGenderCode code="M" codeSystem="2.16.840.1.113883.5.1"/>' +
      '<birthTime value="19800101"/></patient></patientRole></recordTarget>';
    const xml = VAC.replace(/(<\/recordTarget>)/, `$1${second}`);
    const r = parseCda(enc(xml));
    expect(r.ok && r.value.recordTargets).toEqual([
      {
        ids: [{ root: '1.2.250.1.213.1.4.10', extension: '279035121518989' }],
        gender: 'F',
        birthTime: '19790328',
      },
      {
        ids: [{ root: '1.2.250.1.213.1.4.10', extension: '180017512345698' }],
        gender: 'M',
        birthTime: '19800101',
      },
    ]);
  });

  it('honours the encoding declaration: an ISO-8859-1 CDA reads with its accents', () => {
    const text = VAC.replace(/[^\t\n\r -\u00ff]/g, "'").replace(
      /<title>[^<]*<\/title>/,
      '<title>Vaccination : réaction fébrile à J+2</title>',
    );
    const latin1 = Buffer.from(
      text.replace(/encoding="utf-8"/i, 'encoding="ISO-8859-1"'),
      'latin1',
    );
    expect(latin1.includes(Buffer.from('é', 'utf8'))).toBe(false);
    const r = parseCda(latin1);
    expect(r.ok && r.value.title).toBe('Vaccination : réaction fébrile à J+2');
    // The same bytes declared UTF-8 are not well-formed: the declaration is what makes them readable.
    const mislabelled = Buffer.from(text, 'latin1');
    expect(!parseCda(mislabelled).ok && failure(mislabelled).code).toBe('CDA_NOT_WELL_FORMED');
  });
});

describe('sanitizeLibxmlMessage', () => {
  it.each([
    [
      "Element '{urn:hl7-org:v3}id', attribute 'root': 'Jean' is not a valid value of the union type '{urn:hl7-org:v3}uid'.",
      "Element '{urn:hl7-org:v3}id', attribute 'root': '…' is not a valid value of the union type '{urn:hl7-org:v3}uid'.",
    ],
    [
      "Element '{urn:hl7-org:v3}x', attribute 'code': [facet 'enumeration'] The value 'Dupont' is not an element of the set {'N', 'R'}.",
      "Element '{urn:hl7-org:v3}x', attribute 'code': [facet 'enumeration'] The value '…' is not an element of the set {'…', '…'}.",
    ],
    ["Start tag expected, '<' not found", "Start tag expected, '…' not found"],
  ])('%s', (input, output) => {
    expect(sanitizeLibxmlMessage(input)).toBe(output);
  });
});
