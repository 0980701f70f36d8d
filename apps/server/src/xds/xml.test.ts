/**
 * xds/xml.ts reads libxml2's tree through libxml2-wasm's structure accessors, not through its node objects: the tree it
 * builds must be the one the node objects give, on every message the services read (the NIST and IPF samples, MTOM,
 * namespaces, character and entity references, CDATA, comments). The reference below is the conversion through the
 * library's public node API, as xml.ts did before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { XmlDocument, XmlElement, XmlText } from 'libxml2-wasm';
import type { XmlTreeNode } from 'libxml2-wasm';
import { NS, parseXml, type XElement } from './xml.ts';

const SHARED = fileURLToPath(new URL('../../../../../shared/data/external/', import.meta.url));

/** The tree through the node objects; an xop:Include child becomes the parent's `xop`, as parseXml does. */
function reference(el: XmlElement): XElement {
  const attrs: Record<string, string> = {};
  for (const a of el.attrs) {
    if (a.namespaceUri) {
      attrs[`{${a.namespaceUri}}${a.name}`] = a.value;
      attrs[a.name] ??= a.value;
    } else {
      attrs[a.name] = a.value;
    }
  }
  const children: XElement[] = [];
  let text = '';
  let xop: string | undefined;
  for (let n: XmlTreeNode | null = el.firstChild; n !== null; n = n.next) {
    if (n instanceof XmlElement) {
      if (n.namespaceUri === NS.xop && n.name === 'Include') {
        xop = n.attr('href')?.value ?? '';
      } else {
        children.push(reference(n));
      }
    } else if (n instanceof XmlText) {
      text += n.content;
    }
  }
  return {
    ns: el.namespaceUri,
    name: el.name,
    attrs,
    children,
    text,
    ...(xop !== undefined && { xop }),
    line: el.line,
  };
}

function both(xml: string | Buffer): { fast: XElement; ref: XElement } {
  const bytes = typeof xml === 'string' ? Buffer.from(xml) : xml;
  const doc = XmlDocument.fromBuffer(bytes);
  try {
    return { fast: parseXml(bytes), ref: reference(doc.root) };
  } finally {
    doc.dispose();
  }
}

function samples(dir: string): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.xml'))
    .map((f) => path.join(dir, f));
}

describe('the tree parseXml builds', () => {
  it.each([
    [
      'namespaces: default, prefixed, on attributes, redeclared',
      `<e:Envelope xmlns:e="urn:e" xmlns="urn:d" xmlns:a="urn:a"><b a:x="1" x="2" y=""><c xmlns="urn:c2">t</c><e:d/></b></e:Envelope>`,
    ],
    [
      'references, CDATA, comments, mixed text, lines',
      `<r>\n  <a v="&amp;&lt;&#233;&#x10000;">x&amp;y<![CDATA[cd<ata>]]><!-- c -->zé</a>\n<b>\n</b></r>`,
    ],
    [
      'names and namespaces met again (decoded once per tree), long ones, a long text',
      `<r xmlns:n="urn:a-namespace-longer-than-sixteen-bytes"><ExternalIdentifier identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab" n:identificationScheme="y"/>` +
        `<n:ExternalIdentifier identificationScheme="z"><n:x xmlns:n="urn:other">${'QUJD'.repeat(5000)}</n:x></n:ExternalIdentifier><ExternalIdentifier/></r>`,
    ],
    [
      'MTOM: an xop:Include under a default namespace',
      `<r xmlns="urn:r"><Document id="d1"><xop:Include xmlns:xop="${NS.xop}" href="cid:1@x"/></Document><Document id="d2">QUJD</Document></r>`,
    ],
  ])('%s: as the node objects give it', (_name, xml) => {
    const { fast, ref } = both(xml);
    expect(fast).toEqual(ref);
  });

  it('texts, values and names in UTF-8 of 1 to 4 bytes, short and long, read in place as the node objects read them', () => {
    const words = ['a', 'é', 'ſ€', '中文', '𝄞𐍈', 'Ünïcødé-名前-𝒳'];
    const xml =
      `<r xmlns:p="urn:a-namespace-longer-than-sixteen-bytes">` +
      words
        .map(
          (w, i) =>
            `<p:n${String(i)}é a="${w}" p:b="${w.repeat(12)}">${w}<s>${w.repeat(3000)}</s>${w}</p:n${String(i)}é>`,
        )
        .join('') +
      '</r>';
    const { fast, ref } = both(xml);
    expect(fast).toEqual(ref);
    expect(fast.children[5]?.attrs['a']).toBe('Ünïcødé-名前-𝒳');
  });

  it('reads right after libxml2 grew its memory (the heap looked up again)', () => {
    expect(both('<r a="x">y</r>').fast.text).toBe('y');
    // A document larger than the memory libxml2 had: its memory grows, the heap read before is detached.
    const big = `<r a="é${'x'.repeat(10)}">${`<d>${'QUJD'.repeat(1024 * 1024)}</d>`.repeat(8)}<c>中</c></r>`;
    const { fast, ref } = both(big);
    expect(fast).toEqual(ref);
    expect(both('<r a="z">w</r>').fast).toEqual({
      ns: '',
      name: 'r',
      attrs: { a: 'z' },
      children: [],
      text: 'w',
      line: 1,
    });
  });

  it.each([
    ['before the root', '<?xml-stylesheet href="x.xsl"?><r/>'],
    ['after the root', '<r/><?xml-stylesheet href="x.xsl"?>'],
    ['deep in the body', '<r><a><b><?xml-stylesheet href="x.xsl"?></b></a></r>'],
  ])('an xml-stylesheet processing instruction %s is refused', (_where, xml) => {
    expect(() => parseXml(Buffer.from(xml))).toThrow(
      expect.objectContaining({ code: 'XML_NOT_WELL_FORMED' }),
    );
  });

  it('another processing instruction, before the root or in the body, is not refused', () => {
    expect(parseXml(Buffer.from('<?other x?><r><?pi y?></r><?z?>')).name).toBe('r');
  });

  it('a processing instruction in the body is no text (the node objects could not walk past one)', () => {
    expect(parseXml(Buffer.from('<r><a>x<?pi data?>y</a></r>')).children[0]?.text).toBe('xy');
  });

  const files = [
    ...samples(`${SHARED}usnistgov-iheos-toolkit2/validators-registry-message/testdata/`),
    ...samples(`${SHARED}oehf-ipf/commons/ihe/xds/src/test/resources/`),
  ];
  it.skipIf(files.length === 0)(
    `every NIST and IPF sample message (${files.length}) as the node objects give it`,
    () => {
      let compared = 0;
      for (const file of files) {
        const bytes = fs.readFileSync(file);
        let pair: { fast: XElement; ref: XElement };
        try {
          pair = both(bytes);
        } catch {
          continue; // not a message parseXml accepts (a DOCTYPE, a fragment…)
        }
        expect(pair.fast, file).toEqual(pair.ref);
        compared++;
      }
      expect(compared).toBeGreaterThan(10);
    },
  );
});
