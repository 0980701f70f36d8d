import { describe, expect, it } from 'vitest';
import { sexOfNir } from './sex.ts';

describe('sex for the words about a person (issue 21 point 8, S1)', () => {
  it.each([
    ['158037505610143', 'male'],
    ['284067505600131', 'female'],
    ['2840675056001', 'female'],
    ['1750299123456', 'male'],
    ['7580375056101', undefined],
    ['358037505610143', undefined],
    ['abc', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('S1: NIR %s → %s', (ins, sex) => {
    expect(sexOfNir(ins)).toBe(sex);
  });
});
