import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DomainFailure } from '../domain/errors.ts';
import { contentOf, cutContents, isStorableText, parseJsonBody } from './json-body.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof DomainFailure ? e.error.code : `not a DomainFailure: ${String(e)}`;
  }
}

const raw = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s) : s);

describe('parseJsonBody: the input gate of JSON bodies', () => {
  it.each([
    ['a NUL escape in a value', '{"a":"x\\u0000y"}', 'HTTP_BODY_CHARACTER'],
    ['a NUL escape in a key', '{"a\\u0000":1}', 'HTTP_BODY_CHARACTER'],
    ['a lone high surrogate', '{"a":["\\ud800"]}', 'HTTP_BODY_CHARACTER'],
    ['a lone low surrogate', '{"a":"\\uDC00x"}', 'HTTP_BODY_CHARACTER'],
    ['a reversed pair', '{"a":"\\udc00\\ud800"}', 'HTTP_BODY_CHARACTER'],
    ['a __proto__ key', '{"__proto__":{"x":1}}', 'HTTP_BODY_PROTOTYPE_KEY'],
    ['an escaped __proto__ key', '{"\\u005f_proto__":{"x":1}}', 'HTTP_BODY_PROTOTYPE_KEY'],
    ['constructor.prototype', '{"constructor":{"prototype":{}}}', 'HTTP_BODY_PROTOTYPE_KEY'],
    ['truncated JSON', '{"a":', 'HTTP_BODY_NOT_JSON'],
    ['an empty body', '', 'HTTP_BODY_NOT_JSON'],
    ['a raw control character', '{"a":"\u0001"}', 'HTTP_BODY_NOT_JSON'],
  ])('refuses %s', (_label, body, code) => {
    expect(codeOf(() => parseJsonBody(raw(body)))).toBe(code);
  });

  it('refuses bytes that are not UTF-8 (a CESU-8 surrogate, a stray 0xff)', () => {
    expect(codeOf(() => parseJsonBody(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])))).toBe(
      'HTTP_BODY_CHARACTER',
    );
    expect(codeOf(() => parseJsonBody(Buffer.from([0x22, 0xff, 0x22])))).toBe(
      'HTTP_BODY_CHARACTER',
    );
  });

  it.each([
    ['a surrogate pair', '{"a":"\\ud83d\\ude00"}', { a: '😀' }],
    ['other escapes', '{"a":"\\u00e9\\n\\\\u0000"}', { a: 'é\n\\u0000' }],
    ['a byte order mark', '\ufeff{"a":1}', { a: 1 }],
    ['a constructor key without prototype', '{"constructor":"x"}', { constructor: 'x' }],
  ])('accepts %s', (_label, body, value) => {
    expect(parseJsonBody(raw(body)).value).toEqual(value);
  });

  it.each([
    ['nested deeper than 64', `${'['.repeat(65)}${']'.repeat(65)}`],
    ['nested 100,000 deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['an array of 10,001 items', `[${Array(10_001).fill('0').join(',')}]`],
    ['400,000 empty Bundle entries', `{"entry":[${Array(400_000).fill('{}').join(',')}]}`],
    [
      'more than 250,000 values',
      `[${Array(30)
        .fill(`[${Array(9_000).fill('1').join(',')}]`)
        .join(',')}]`,
    ],
  ])('refuses a body %s (413 HTTP_BODY_TOO_COMPLEX)', (_label, body) => {
    expect(codeOf(() => parseJsonBody(raw(body)))).toBe('HTTP_BODY_TOO_COMPLEX');
  });

  it('accepts a body at the limits (depth 64, 10,000 items)', () => {
    expect(() => parseJsonBody(raw(`${'['.repeat(64)}${']'.repeat(64)}`))).not.toThrow();
    expect(() => parseJsonBody(raw(`[${Array(10_000).fill('{}').join(',')}]`))).not.toThrow();
  });
});

describe('cutContents: long base64 data values decoded out of the raw bytes', () => {
  const bytes = randomBytes(3000);
  const b64 = bytes.toString('base64');

  it('cuts attachment.data and Binary.data, decodes them exactly, and leaves the rest as sent', () => {
    const body = JSON.stringify({
      resourceType: 'Bundle',
      entry: [
        { resource: { content: [{ attachment: { data: b64, title: 'data' } }] } },
        { resource: { resourceType: 'Binary', data: b64.slice(0, 2000) } },
        { resource: { text: 'the "data": key quoted in a string', data: 'short' } },
      ],
    });
    const { value, contents } = parseJsonBody(Buffer.from(body), 1000);
    expect(contents.size).toBe(2);
    const v = value as {
      entry: {
        resource: {
          content?: { attachment: { data: string; title: string } }[];
          data: string;
          text?: string;
        };
      }[];
    };
    const first = v.entry[0]?.resource.content?.[0]?.attachment;
    expect(contentOf(first?.data, contents)?.equals(bytes)).toBe(true);
    expect(first?.title).toBe('data');
    expect(
      contentOf(v.entry[1]?.resource.data, contents)?.equals(
        Buffer.from(b64.slice(0, 2000), 'base64'),
      ),
    ).toBe(true);
    expect(v.entry[2]?.resource).toEqual({
      text: 'the "data": key quoted in a string',
      data: 'short',
    });
  });

  it.each([
    ['an escape inside', `{"data":"${b64.slice(0, 2000)}\\/AAA"}`],
    ['a character outside base64', `{"data":"${b64.slice(0, 2000)}-AAA"}`],
    ['a length not a multiple of 4', `{"data":"${b64.slice(0, 2001)}"}`],
    ['padding inside', `{"data":"AA==${b64.slice(0, 2000)}"}`],
    ['"data" as a value, then a string', `{"x":"data","y":"${b64.slice(0, 2000)}"}`],
    ['another key', `{"date":"${b64.slice(0, 2000)}"}`],
  ])('leaves a value with %s in the JSON', (_label, body) => {
    const { json, contents } = cutContents(Buffer.from(body), 1000);
    expect(contents.size).toBe(0);
    expect(json.toString()).toBe(body);
  });

  it('decodes across its internal steps (a content over 1 MB)', () => {
    const big = randomBytes(2 * 1024 * 1024 + 7);
    const { value, contents } = parseJsonBody(
      Buffer.from(`{ "data" :\n "${big.toString('base64')}" }`),
    );
    expect(contentOf((value as { data: string }).data, contents)?.equals(big)).toBe(true);
  });

  it('never resolves a placeholder a client could write', () => {
    expect(contentOf('opendmp-content:0', new Map([['x', Buffer.alloc(1)]]))).toBeUndefined();
  });
});

describe('isStorableText', () => {
  it.each([
    ['plain', 'abc', true],
    ['a pair', '😀', true],
    ['NUL', 'a\0b', false],
    ['lone high', '\ud800', false],
    ['lone low', 'a\udfff', false],
  ])('%s → %s', (_l, s, ok) => {
    expect(isStorableText(s)).toBe(ok);
  });
});
