/**
 * The text of an XML document from its bytes, decoded as the document says (issue 17 rule 10): a byte-order mark
 * (UTF-8, UTF-16), else the `encoding` of its XML declaration (ISO-8859-1, windows-1252, UTF-8…), else UTF-8.
 * `Blob.text()` always decodes UTF-8, which garbles every accent of a CDA written in ISO-8859-1.
 */
export function decodeXml(bytes: Uint8Array): string {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return new TextDecoder('utf-16be').decode(bytes);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return new TextDecoder('utf-16le').decode(bytes);
  }
  // The declaration is ASCII in every ASCII-compatible encoding.
  const head = new TextDecoder('windows-1252').decode(bytes.subarray(0, 256));
  const declared =
    /^(?:\u00ef\u00bb\u00bf)?\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(
      head,
    )?.[1];
  try {
    return new TextDecoder(declared ?? 'utf-8').decode(bytes);
  } catch {
    // An encoding the browser does not know: UTF-8, as XML's default.
    return new TextDecoder('utf-8').decode(bytes);
  }
}
