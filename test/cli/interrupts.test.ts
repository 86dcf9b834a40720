/**
 * Which signal means what (src/cli/interrupts.ts), by arrival time: the process-level test
 * (interrupt.test.ts) cannot pin the gap between two signals on a loaded machine; this can.
 */
import { expect, it } from 'vitest';
import { interruptClassifier, SAME_INTERRUPT_MS } from '../../src/cli/interrupts.ts';

it('the first signal stops; copies within the window are the same Ctrl-C; a later one exits now', () => {
  const classify = interruptClassifier();
  expect(classify(10_000)).toBe('stop');
  expect(classify(10_005)).toBe('same-interrupt'); // a launcher's relayed copy
  expect(classify(10_000 + SAME_INTERRUPT_MS - 1)).toBe('same-interrupt');
  expect(classify(10_000 + SAME_INTERRUPT_MS)).toBe('exit-now');
  expect(classify(10_000 + 3)).toBe('same-interrupt'); // the window counts from the first signal
});

it('each classifier (each process) starts from no signal', () => {
  const a = interruptClassifier(100);
  a(0);
  expect(a(150)).toBe('exit-now');
  expect(interruptClassifier(100)(150)).toBe('stop');
});
