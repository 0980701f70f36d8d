/**
 * A person's sex as the words about them need it (issue 21 point 8: "représentante légale", "connectée"), when it
 * can be known without asking:
 *  S1. a NIR (13 digits + key, or 15 with the key) starts with the sex: 1 a man, 2 a woman; any other first digit
 *      (a provisional number, an NIA, a malformed value) says nothing;
 * Unknown → undefined, and the portals then write without agreement. Pure.
 */
export type Sex = 'male' | 'female';

export function sexOfNir(ins: string | undefined): Sex | undefined {
  if (ins === undefined || !/^[0-9][0-9AB]{12}([0-9]{2})?$/.test(ins)) {
    return undefined;
  }
  return ins[0] === '1' ? 'male' : ins[0] === '2' ? 'female' : undefined;
}
