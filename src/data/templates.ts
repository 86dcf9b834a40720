/**
 * Sentence templates for the synthetic MMLU records (see prose.ts). Slots: {main} the record's
 * main concept, {topic} the readable subject name, {ans} the right letter, {opt} a wrong one,
 * {c}/{c2} other concepts of the subject's field, {q} a qualifier, {r} a relation, {Conn} a
 * sentence opener, {flaw} a reason from FLAWS, {num}/{pct} small numbers. Many short templates
 * with random slots, rather than a few long ones, keep analyses from repeating visibly.
 */

/** Why a distractor is wrong; {c} is a fresh concept of the subject's field. */
export const FLAWS = [
  'confuses {c} with {c2}',
  'reverses the direction of the relationship',
  'applies only in a special case',
  'overgeneralises from a single example',
  'describes a consequence rather than a cause',
  'ignores the condition stated in the question',
  'relies on an outdated account of {c}',
  'is true in isolation but does not answer the question asked',
  'would hold only if {c} were held fixed',
  'mistakes a correlation for a cause',
  'uses {c} in a sense the question does not intend',
  'leaves out {c}, which the question makes central',
  'is a tempting distractor built from a half-remembered rule',
] as const;

/** Question stems; {main} is the record's main concept, {topic} the subject's readable name. */
export const QUESTIONS = [
  'Which of the following best explains the role of {main} in {topic}?',
  'In {topic}, which statement about {main} is most accurate?',
  'A student is asked to reason about {main}. Which of the following conclusions is correct?',
  'Which of the following is the most likely consequence of a change in {main}?',
  'Which of the following correctly describes how {main} relates to {c}?',
  'When analysing {main} in {topic}, which consideration matters most?',
  'Which of the following statements about {main} and {c} is true?',
  'Which option gives the best justification for the standard view of {main}?',
] as const;

/** Answer options; each record draws four different ones. */
export const CHOICES = [
  'the {q} effect of {c}',
  '{c}, because it {r} {c2}',
  'a change in {c} alone',
  'the {q} form of {c}',
  'that {c} {r} {c2}',
  'neither {c} nor {c2}',
  'only the {q} part of {c}',
  '{c} under {q} conditions',
] as const;

/** The opening sentence: names the right option, as real analyses usually do. */
export const INTROS = [
  'The question turns on {main}, a central idea in {topic}, and the correct answer is option {ans}.',
  'To answer this question we first need to be clear about what {main} means in {topic}; once that is settled, option {ans} follows.',
  'Option {ans} is correct, and the reason lies in how {main} is defined and used in {topic}.',
  'This item tests whether the reader can apply {main} rather than merely recall a definition, and the best answer is {ans}.',
  'Although several options sound reasonable, only option {ans} handles {main} in the way the question requires.',
] as const;

/** Reasoning sentences; a record uses each at most once, as many as its word target needs. */
export const BODY = [
  '{Conn}, {main} {r} {c}, so any answer that treats the two as interchangeable deserves suspicion.',
  'The {q} reading of {main} is the one intended here, since the stem mentions {c} explicitly.',
  '{Conn}, introductory courses in {topic} present {main} alongside {c}, and the distinction between them is exactly what is being probed.',
  'A quick check is to ask what would happen if {c} were removed: {main} would no longer apply in the same way, which is what option {ans} captures.',
  '{Conn}, {c} {r} {c2}, and keeping that relationship in view prevents the most common mistake.',
  'Many students reach for {c} first, but the wording of the stem points to {main} instead.',
  'It helps to work through a concrete case in which {c} is {q} and to watch how {main} responds.',
  '{Conn}, the {q} account treats {main} as something that {r} {c}, not as a separate quantity.',
  'Nothing in the question suggests that {c} changes, so the analysis can focus on {main} itself.',
  'Option {ans} also agrees with the {q} principle that {c} {r} {c2}.',
  '{Conn}, the option that uses {main} in its proper sense is the only one consistent with every detail of the stem.',
  'Examiners in {topic} often pair {main} with {c} precisely because the two are easy to mix up.',
  '{Conn}, a careful reading shows that {c} appears only as background, while the real constraint comes from {main}.',
  'When the reasoning is written out step by step, each step relies on {main}, and none of them requires {c}.',
  'This is consistent with the {q} definition found in most standard treatments of {topic}.',
  '{Conn}, the same reasoning would apply to {c}, which confirms that the principle is general rather than an accident of this example.',
  'One way to remember this is that {main} {r} {c}, whereas {c2} plays only a supporting role.',
  '{Conn}, had the question asked about {c} instead, a different option might have been defensible, but that is not what it asks.',
  'The {q} version of the argument is worth stating plainly: {main} {r} {c}, and the answer must respect that.',
  '{Conn}, it is worth noticing that {c2} is not mentioned anywhere in the stem, so an answer that depends on it goes beyond the information given.',
  'In a worked example with {c} set to {num}, {main} shifts by roughly {pct}% (all else equal), which matches option {ans} and none of the others.',
  'As a rule of thumb (i.e., ignoring second-order effects), {main} {r} {c}; e.g., a {pct}% change in one shows up, with a lag, in the other.',
  'Past papers in {topic} (e.g., items {num} and {pct} of a typical 100-question set) test the same point about {main}.',
  'A common shorthand, "{main} first, {c} second", captures the order in which the two should be considered.',
] as const;

/** One sentence per wrong option. */
export const DISTRACTORS = [
  'Option {opt} is incorrect because it {flaw}.',
  'Option {opt} {flaw}, so it cannot be the best answer.',
  'Option {opt} looks plausible, but it {flaw}.',
  'As for option {opt}, it {flaw}.',
  'Option {opt} should be rejected: it {flaw}.',
] as const;

/** The closing sentence. */
export const CONCLUSIONS = [
  'Taken together, these points show that option {ans} is the only answer consistent with {main}.',
  'For these reasons, option {ans} is the best choice.',
  'The correct answer is therefore {ans}.',
  'In short, a clear grasp of {main} leads directly to option {ans}, while each alternative fails for a specific reason.',
] as const;
