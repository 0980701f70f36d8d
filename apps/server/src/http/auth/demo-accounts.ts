/**
 * The accounts the demo login page offers (demo mode only): the demo patients, the legal representatives of
 * the demo minors, and the demo professionals, each with the development-IdP body that logs them in.
 * Only these accounts can be chosen: the portal never forwards a free-form token body.
 */
import { PATIENTS, PROFESSIONALS, STRUCTURES } from '../../demo/directory.ts';

export interface DemoAccount {
  /** Stable id sent back by the login page: `patient:<INS>`, `representative:<INS>`, `professional:<IdNat_PS>`. */
  readonly id: string;
  readonly kind: 'patient' | 'representative' | 'professional';
  readonly name: string;
  /** One line saying who this is (French). */
  readonly description: string;
  /** The development identity provider body (product.md §3). */
  readonly body: Readonly<Record<string, string | boolean>>;
}

function displayName(given: readonly string[], family: string): string {
  return `${given[0] ?? ''} ${family}`.trim();
}

function frenchDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d ?? ''}/${m ?? ''}/${y ?? ''}`;
}

const accounts: DemoAccount[] = [
  ...PATIENTS.filter((p) => p.opposition !== true).map((p): DemoAccount => {
    const name = displayName(p.givenNames, p.birthName);
    return {
      id: `patient:${p.ins}`,
      kind: 'patient',
      name,
      description: `${p.sex === 'female' ? 'née' : 'né'} le ${frenchDate(p.birthDate)}`,
      body: { kind: 'patient', ins: p.ins, name },
    };
  }),
  ...PATIENTS.filter((p) => p.representative !== undefined && p.opposition !== true).map(
    (p): DemoAccount => {
      const name = p.representative?.name ?? 'Représentant légal';
      return {
        id: `representative:${p.ins}`,
        kind: 'representative',
        name,
        description: `représentant légal de ${displayName(p.givenNames, p.birthName)}`,
        // Their own identifier, registered on the minor's record by the demo loader (issue 17 rule 1).
        body: { kind: 'representative', ins: p.ins, id: p.representative?.id ?? '', name },
      };
    },
  ),
  ...PROFESSIONALS.map((p): DemoAccount => {
    const structure = STRUCTURES.find((s) => s.idNatStruct === p.structure);
    const name = `${p.givenName} ${p.familyName}`;
    return {
      id: `professional:${p.idNatPs}`,
      kind: 'professional',
      name,
      description: structure ? `${p.label} — ${structure.name}` : p.label,
      body: {
        kind: 'professional',
        idNatPs: p.idNatPs,
        profession: p.profession,
        ...(p.specialty !== undefined ? { specialty: p.specialty } : {}),
        structure: p.structure,
        ...(structure ? { sector: structure.sector } : {}),
        ...(p.regulator === true ? { regulator: true } : {}),
        mode: 'normal',
        name,
      },
    };
  }),
];

export function demoAccounts(): readonly DemoAccount[] {
  return accounts;
}

export function findDemoAccount(id: string): DemoAccount | undefined {
  return accounts.find((a) => a.id === id);
}
