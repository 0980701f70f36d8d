/**
 * ebRS 3.0 / XDS.b schema validation of SOAP requests (issue 19, "every request valid against the ebRS 3.0 / XDS.b
 * schemas, else refused whole"), the way src/validation/cda.ts validates CDA documents: the schema set
 * (xds/schemas/, see its SOURCES.md) is compiled once by libxml2-wasm from memory, through an input provider that
 * serves only those files; a document can make libxml2 open nothing else.
 *
 * `soap12-envelope.xsd` declares a SOAP 1.2 envelope whose Body holds exactly one ebRS / XDS.b element, validated
 * strictly (the Header is skipped: WS-Addressing and WS-Security are checked by the code). MTOM `xop:Include`
 * elements are removed before validation (xds/xml.ts), so a `Document` element sent by reference is valid.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XmlDocument, XmlLibError, XsdValidator } from 'libxml2-wasm';
import { registerSchemaProvider, sanitizeLibxmlMessage } from '../validation/cda.ts';
import { XmlFailure } from './xml.ts';

export const XDS_SCHEMA_DIR = fileURLToPath(new URL('./schemas/', import.meta.url));
const MAX_MESSAGES = 3;

let validator: XsdValidator | undefined;

/** Compiles the envelope schema once (≈ 50 ms); called lazily by {@link validateEnvelope}. */
export function loadXdsSchema(): XsdValidator {
  if (validator) {
    return validator;
  }
  const dir = resolve(XDS_SCHEMA_DIR);
  const files = new Map<string, Uint8Array>();
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.xsd')) {
      files.set(join(dir, name), readFileSync(join(dir, name)));
    }
  }
  registerSchemaProvider(files);
  const main = join(dir, 'soap12-envelope.xsd');
  const xsd = XmlDocument.fromBuffer(files.get(main) as Uint8Array, { url: main });
  try {
    validator = XsdValidator.fromDoc(xsd);
  } finally {
    xsd.dispose();
  }
  return validator;
}

/** Validates a parsed SOAP 1.2 envelope; throws XmlFailure XML_SCHEMA_INVALID with sanitized messages. */
export function validateEnvelope(doc: XmlDocument): void {
  const v = loadXdsSchema();
  try {
    v.validate(doc);
  } catch (e) {
    const details = e instanceof XmlLibError ? e.details : [];
    const text = details
      .slice(0, MAX_MESSAGES)
      .map((d) => `${d.line ? `line ${d.line}: ` : ''}${sanitizeLibxmlMessage(d.message)}`)
      .join('; ');
    throw new XmlFailure(
      'XML_SCHEMA_INVALID',
      `The request does not conform to the ebRS 3.0 / XDS.b schemas${text ? `: ${text}` : ''}.`,
    );
  }
}
