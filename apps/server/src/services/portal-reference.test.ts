import { describe, expect, it } from 'vitest';
import { frenchDisplay, portalValueSet } from './portal-reference.ts';

describe('value sets of the portals’ pickers speak French (issue 21 point 8)', () => {
  it.each([
    ['E1762', 'Full Document', 'Document sans type précis (ASTM E1762)'],
    ['SA01', 'Etablissement public de santé', 'Établissement public de santé'],
    [
      'CAPA05',
      'Evaluation et Traitement de la douleur (CAPA)',
      'Évaluation et Traitement de la douleur (CAPA)',
    ],
    [
      'IMG-KOS',
      "Reference d'objets d'un examen d'imagerie",
      "Référence d'objets d'un examen d'imagerie",
    ],
    [
      '11488-4',
      'CR ou fiche de consultation ou de visite',
      'CR ou fiche de consultation ou de visite',
    ],
  ])('%s: %s → %s', (code, display, expected) => {
    expect(frenchDisplay(code, display)).toBe(expected);
  });

  it('offers no English display and no capital left without its accent in the pickers', () => {
    for (const id of ['J66', 'J57', 'J60', 'J61', 'J04', 'J58', 'G15']) {
      for (const c of portalValueSet(id).concepts) {
        expect(c.display).not.toMatch(/Full Document|\bEtablissement|\bEvaluation|\bReference\b/);
      }
    }
  });
});
