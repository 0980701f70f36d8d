/**
 * Luhn (mod 10) check, as used by INSEE for SIREN and SIRET numbers.
 *
 * Rules:
 *  U1. From the rightmost digit, every second digit is doubled (minus 9 when above 9); the number is valid
 *      when the sum is a multiple of 10.
 *  U2. Only ASCII digits; anything else (or an empty string) is not valid.
 *
 * Sources: ISO/IEC 7812-1 annex B; INSEE SIREN/SIRET description (check digit by the Luhn formula).
 */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) {
    return false;
  }
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
  }
  return sum % 10 === 0;
}
