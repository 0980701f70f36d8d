import { describe, expect, it } from 'vitest';
import { isUuid } from './uuid.ts';

describe('isUuid', () => {
  it.each([
    ['7d3c9a5e-1b2f-4c6d-8e9f-0a1b2c3d4e5f', true],
    ['7D3C9A5E-1B2F-4C6D-8E9F-0A1B2C3D4E5F', true],
    ['00000000-0000-0000-0000-000000000000', true],
    ['------------------------------------', false],
    ['0123456789abcdef0123456789abcdef0123', false],
    ['7d3c9a5e-1b2f-4c6d-8e9f-0a1b2c3d4e5', false],
    ['7d3c9a5e-1b2f-4c6d-8e9f-0a1b2c3d4e5f0', false],
    ['7d3c9a5e-1b2f-4c6d-8e9f-0a1b2c3d4e5g', false],
    ['7d3c9a5e1b2f-4c6d-8e9f-0a1b2c3d4e5f-', false],
    ['7d3c9a5e-1b2f-4c6d-8e9f-0a1b2c3d4e5f\n', false],
    ['', false],
    [undefined, false],
    [42, false],
  ])('%j → %s', (value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});
