/**
 * Synthetic demo data set: professionals, structures and patients. Every identifier is fictitious; NIRs carry a
 * correct key on the test OID (1.2.250.1.213.1.4.10); RPPS numbers carry a correct Luhn digit.
 */
export const TEST_NIR_OID = '1.2.250.1.213.1.4.10';

export interface DemoStructure {
  idNatStruct: string;
  name: string;
  sector: string;
  kind: 'cabinet' | 'etablissement' | 'pharmacie' | 'laboratoire' | 'samu' | 'autre';
}

export interface DemoProfessional {
  idNatPs: string;
  familyName: string;
  givenName: string;
  /** As the directory's civilité gives it (issue 21 point 8: "Dr Anne CARDIO est bloquée"). */
  sex: 'male' | 'female';
  profession: string;
  specialty?: string;
  regulator?: boolean;
  structure: string;
  careTeam?: boolean;
  label: string;
}

export interface DemoPatient {
  ins: string;
  birthName: string;
  /** Nom d'usage, when it differs from the birth name (issue 17 rule 8). */
  usedName?: string;
  givenNames: string[];
  sex: 'male' | 'female';
  birthDate: string;
  birthPlace: string;
  /** IdNat_PS of the médecin traitant. */
  medecinTraitant?: string;
  /**
   * The legal representative registered on the minor's record (issue 17 rule 1): `id` is their own identifier
   * (their INS), which their token carries as `id`.
   */
  representative?: { id: string; name: string; relation: string };
  opposition?: boolean;
}

export const STRUCTURES: DemoStructure[] = [
  {
    idNatStruct: '1750300000',
    name: 'Centre hospitalier de démonstration',
    sector: 'SA01',
    kind: 'etablissement',
  },
  {
    idNatStruct: '1750600009',
    name: 'Cabinet de médecine générale des Lilas',
    sector: 'SA07',
    kind: 'cabinet',
  },
  {
    idNatStruct: '1750700007',
    name: 'Cabinet de cardiologie Voltaire',
    sector: 'SA07',
    kind: 'cabinet',
  },
  { idNatStruct: '1750400004', name: 'Pharmacie du Marché', sector: 'SA33', kind: 'pharmacie' },
  {
    idNatStruct: '1750800005',
    name: 'Cabinet infirmier Saint-Maur',
    sector: 'SA07',
    kind: 'cabinet',
  },
  {
    idNatStruct: '1690100003',
    name: 'Cabinet dentaire Bellecour',
    sector: 'SA07',
    kind: 'cabinet',
  },
  { idNatStruct: '1750500001', name: 'SAMU 75 — centre 15', sector: 'SA01', kind: 'samu' },
];

export const PROFESSIONALS: DemoProfessional[] = [
  {
    idNatPs: '899700366240',
    familyName: 'MEDECIN',
    givenName: 'Hélène',
    sex: 'male',
    profession: '10',
    specialty: 'SM26',
    structure: '1750300000',
    careTeam: true,
    label: 'Médecin généraliste, équipe de soins du centre hospitalier',
  },
  {
    idNatPs: '810001000008',
    familyName: 'GENERALISTE',
    givenName: 'Paul',
    sex: 'male',
    profession: '10',
    specialty: 'SM26',
    structure: '1750600009',
    label: 'Médecin généraliste (médecin traitant de plusieurs patients)',
  },
  {
    idNatPs: '810001000016',
    familyName: 'CARDIO',
    givenName: 'Anne',
    sex: 'female',
    profession: '10',
    specialty: 'SM04',
    structure: '1750700007',
    label: 'Cardiologue libérale',
  },
  {
    idNatPs: '810001000024',
    familyName: 'HOSPITALIER',
    givenName: 'Karim',
    sex: 'male',
    profession: '10',
    specialty: 'SM54',
    structure: '1750300000',
    careTeam: true,
    label: 'Médecin hospitalier, équipe de soins',
  },
  {
    idNatPs: '810001000032',
    familyName: 'PHARMACIEN',
    givenName: 'Lucie',
    sex: 'female',
    profession: '21',
    structure: '1750400004',
    label: 'Pharmacienne d’officine',
  },
  {
    idNatPs: '810001000040',
    familyName: 'INFIRMIER',
    givenName: 'Marc',
    sex: 'male',
    profession: '60',
    structure: '1750800005',
    label: 'Infirmier libéral',
  },
  {
    idNatPs: '810001000057',
    familyName: 'DENTISTE',
    givenName: 'Claire',
    sex: 'female',
    profession: '40',
    structure: '1690100003',
    label: 'Chirurgienne-dentiste',
  },
  {
    idNatPs: '810001000065',
    familyName: 'SAGEFEMME',
    givenName: 'Julie',
    sex: 'female',
    profession: '50',
    structure: '1750300000',
    careTeam: true,
    label: 'Sage-femme, maternité du centre hospitalier',
  },
  {
    idNatPs: '810001000073',
    familyName: 'REGULATEUR',
    givenName: 'Samir',
    sex: 'male',
    profession: '10',
    specialty: 'SM54',
    structure: '1750500001',
    regulator: true,
    label: 'Médecin régulateur du SAMU (centre 15)',
  },
  {
    idNatPs: '810001000081',
    familyName: 'KINE',
    givenName: 'Thomas',
    sex: 'male',
    profession: '70',
    structure: '1750800005',
    label: 'Masseur-kinésithérapeute',
  },
];

const GP = '810001000008';

export const PATIENTS: DemoPatient[] = [
  {
    ins: '158037505610143',
    birthName: 'MARTIN',
    givenNames: ['Jean', 'Pierre'],
    sex: 'male',
    birthDate: '1958-03-21',
    birthPlace: '75056',
    medecinTraitant: GP,
  },
  {
    ins: '262076912310249',
    birthName: 'BERNARD',
    usedName: 'LEFEBVRE',
    givenNames: ['Marie'],
    sex: 'female',
    birthDate: '1962-07-22',
    birthPlace: '69123',
    medecinTraitant: GP,
  },
  {
    ins: '175111305510370',
    birthName: 'THOMAS',
    givenNames: ['Luc'],
    sex: 'male',
    birthDate: '1975-11-23',
    birthPlace: '13055',
  },
  {
    ins: '281023306310462',
    birthName: 'PETIT',
    givenNames: ['Sophie'],
    sex: 'female',
    birthDate: '1981-02-24',
    birthPlace: '33063',
    medecinTraitant: GP,
  },
  {
    ins: '190055935010509',
    birthName: 'ROBERT',
    givenNames: ['Karim'],
    sex: 'male',
    birthDate: '1990-05-25',
    birthPlace: '59350',
  },
  {
    ins: '244092A00410659',
    birthName: 'RICHARD',
    givenNames: ['Paule'],
    sex: 'female',
    birthDate: '1944-09-26',
    birthPlace: '2A004',
    medecinTraitant: GP,
  },
  {
    ins: '152122B03310785',
    birthName: 'DURAND',
    givenNames: ['Ange'],
    sex: 'male',
    birthDate: '1952-12-27',
    birthPlace: '2B033',
  },
  {
    ins: '299063155510854',
    birthName: 'DUBOIS',
    givenNames: ['Chloé'],
    sex: 'female',
    birthDate: '1999-06-10',
    birthPlace: '31555',
  },
  {
    ins: '168014410910921',
    birthName: 'MOREAU',
    givenNames: ['Éric'],
    sex: 'male',
    birthDate: '1968-01-11',
    birthPlace: '44109',
  },
  {
    ins: '273046748211087',
    birthName: 'LAURENT',
    givenNames: ['Nathalie'],
    sex: 'female',
    birthDate: '1973-04-12',
    birthPlace: '67482',
  },
  {
    ins: '112087505611139',
    birthName: 'SIMON',
    givenNames: ['Hugo'],
    sex: 'male',
    birthDate: '2012-08-13',
    birthPlace: '75056',
    medecinTraitant: GP,
    representative: { id: '284067505600131', name: 'Claire SIMON', relation: 'MTH' },
  },
  {
    ins: '287100608811261',
    birthName: 'MICHEL',
    givenNames: ['Léa'],
    sex: 'female',
    birthDate: '1987-10-14',
    birthPlace: '06088',
  },
  {
    ins: '135022123111366',
    birthName: 'LEFEBVRE',
    givenNames: ['Marcel'],
    sex: 'male',
    birthDate: '1935-02-15',
    birthPlace: '21231',
  },
  {
    ins: '201033523811442',
    birthName: 'LEROY',
    givenNames: ['Inès'],
    sex: 'female',
    birthDate: '2001-03-16',
    birthPlace: '35238',
  },
  {
    ins: '179073417211586',
    birthName: 'ROUX',
    givenNames: ['Mathieu'],
    sex: 'male',
    birthDate: '1979-07-17',
    birthPlace: '34172',
  },
  {
    ins: '265127654011673',
    birthName: 'DAVID',
    givenNames: ['Claire'],
    sex: 'female',
    birthDate: '1965-12-18',
    birthPlace: '76540',
  },
  {
    ins: '195093818511795',
    birthName: 'BERTRAND',
    givenNames: ['Yanis'],
    sex: 'male',
    birthDate: '1995-09-19',
    birthPlace: '38185',
  },
  {
    ins: '258055746311821',
    birthName: 'MOREL',
    givenNames: ['Monique'],
    sex: 'female',
    birthDate: '1958-05-20',
    birthPlace: '57463',
  },
  {
    ins: '112019205011928',
    birthName: 'FOURNIER',
    givenNames: ['Noah'],
    sex: 'male',
    birthDate: '2012-01-21',
    birthPlace: '92050',
    representative: { id: '179059205012306', name: 'Marc FOURNIER', relation: 'FTH' },
  },
  {
    ins: '283115439512041',
    birthName: 'GIRARD',
    givenNames: ['Julie'],
    sex: 'female',
    birthDate: '1983-11-22',
    birthPlace: '54395',
  },
  {
    ins: '170066444512141',
    birthName: 'OPPOSANT',
    givenNames: ['Paul'],
    sex: 'male',
    birthDate: '1970-06-23',
    birthPlace: '64445',
    opposition: true,
  },
];
