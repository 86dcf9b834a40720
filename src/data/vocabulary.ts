/**
 * Word lists for the synthetic MMLU analyses (see prose.ts). Subjects are grouped by field so an
 * astronomy analysis talks about orbits and a law analysis about precedent: the paraphrase
 * pipeline only needs realistic length and token mix, but readable text makes outputs and
 * failures easier to inspect by eye.
 */

export type Field = 'formal' | 'science' | 'health' | 'humanities' | 'social';

/** MMLU's 57 subjects by field; a subject missing here falls back to 'social'. */
export const FIELD_OF: Readonly<Record<string, Field>> = Object.fromEntries(
  (
    [
      [
        'formal',
        'abstract_algebra college_computer_science college_mathematics computer_security econometrics ' +
          'elementary_mathematics formal_logic high_school_computer_science high_school_mathematics ' +
          'high_school_statistics logical_fallacies machine_learning',
      ],
      [
        'science',
        'astronomy college_chemistry college_physics conceptual_physics electrical_engineering ' +
          'high_school_chemistry high_school_physics high_school_biology college_biology high_school_geography global_facts',
      ],
      [
        'health',
        'anatomy clinical_knowledge college_medicine human_aging human_sexuality medical_genetics nutrition ' +
          'professional_medicine virology',
      ],
      [
        'humanities',
        'high_school_european_history high_school_us_history high_school_world_history international_law ' +
          'jurisprudence moral_disputes moral_scenarios philosophy prehistory professional_law world_religions',
      ],
      [
        'social',
        'business_ethics high_school_government_and_politics high_school_macroeconomics ' +
          'high_school_microeconomics high_school_psychology management marketing miscellaneous professional_accounting ' +
          'professional_psychology public_relations security_studies sociology us_foreign_policy',
      ],
    ] as const
  ).flatMap(([field, names]) => names.split(' ').map((name) => [name, field] as const)),
);

/** Noun phrases a question or an analysis can be about, per field. */
export const CONCEPTS: Readonly<Record<Field, readonly string[]>> = {
  formal: [
    'the identity element',
    'a normal subgroup',
    'the order of an element',
    'a bijective mapping',
    'the base case',
    'the inductive step',
    'an invariant',
    'the contrapositive',
    'a sufficient condition',
    'a necessary condition',
    'the sample mean',
    'the standard error',
    'a null hypothesis',
    'the gradient',
    'a loss function',
    'the time complexity',
    'a hash collision',
    'a public key',
    'the recursion depth',
    'a counterexample',
    'the quantifier scope',
    'a valid syllogism',
    'the decision boundary',
    'a confidence interval',
  ],
  science: [
    'the conservation of energy',
    'the net force',
    'the equilibrium constant',
    'the activation energy',
    'an oxidation state',
    'the inverse-square law',
    'the orbital period',
    'a reference frame',
    'the wavelength',
    'thermal equilibrium',
    'the electric field',
    'a resistor network',
    'the rate-limiting step',
    'natural selection',
    'gene expression',
    'the cell membrane',
    'a limiting reagent',
    'the half-life',
    'angular momentum',
    'the greenhouse effect',
    'plate tectonics',
    'the photon energy',
    'buoyant force',
    'population density',
  ],
  health: [
    'the differential diagnosis',
    'the blood supply',
    'nerve innervation',
    'the mechanism of action',
    'a contraindication',
    'the first-line treatment',
    'renal clearance',
    'the immune response',
    'viral replication',
    'an autosomal dominant pattern',
    'the presenting symptoms',
    'cardiac output',
    'the venous drainage',
    'insulin resistance',
    'the recommended daily intake',
    'a risk factor',
    'the incubation period',
    'the lymphatic drainage',
    'the anatomical landmark',
    'oxygen saturation',
    'a side effect',
    'the dose adjustment',
    'muscle attachment',
    'the clinical sign',
  ],
  humanities: [
    'the doctrine of precedent',
    'the burden of proof',
    'a treaty obligation',
    'the categorical imperative',
    'the social contract',
    'moral responsibility',
    'the rule of law',
    'natural rights',
    'a primary source',
    'the historical context',
    'religious reform',
    'the separation of powers',
    'a legal defence',
    'duty of care',
    'the principle of utility',
    'an ethical dilemma',
    'state sovereignty',
    'the Neolithic transition',
    'colonial expansion',
    'the intent requirement',
    'an appellate ruling',
    'sacred texts',
    'virtue',
    'consent',
  ],
  social: [
    'opportunity cost',
    'the marginal cost',
    'aggregate demand',
    'the money supply',
    'price elasticity',
    'stakeholder interests',
    'brand positioning',
    'the accrual basis',
    'depreciation expense',
    'group conformity',
    'cognitive dissonance',
    'operant conditioning',
    'the balance of power',
    'deterrence',
    'public opinion',
    'the separation of ownership and control',
    'market segmentation',
    'comparative advantage',
    'social stratification',
    'fiscal policy',
    'the inflation rate',
    'organisational culture',
    'reinforcement schedules',
    'a target audience',
  ],
};

/** Adjectives that qualify a concept in a distractor or a body sentence. */
export const QUALIFIERS = [
  'underlying',
  'implicit',
  'limiting',
  'standard',
  'structural',
  'long-run',
  'short-run',
  'empirical',
  'theoretical',
  'local',
  'general',
  'conditional',
  'primary',
  'secondary',
  'observed',
  'expected',
  'formal',
  'practical',
  'original',
  'modified',
  'direct',
  'indirect',
  'partial',
  'complete',
] as const;

/** How one concept bears on another, for body sentences. */
export const RELATIONS = [
  'depends on',
  'constrains',
  'determines',
  'follows from',
  'is distinct from',
  'is often confused with',
  'reinforces',
  'offsets',
  'presupposes',
  'rules out',
  'is a special case of',
  'must be weighed against',
  'only makes sense in light of',
  'is the usual explanation for',
  'is closely tied to',
] as const;

/** Sentence openers, so consecutive sentences do not all start alike. */
export const CONNECTIVES = [
  'Moreover',
  'In addition',
  'By contrast',
  'For this reason',
  'Importantly',
  'Put differently',
  'In practice',
  'Strictly speaking',
  'At first glance',
  'Seen this way',
  'Crucially',
  'As a result',
  'Equally',
  'Here',
  'On closer inspection',
  'In the standard treatment',
] as const;
