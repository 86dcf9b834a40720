/**
 * Test files in an order that keeps every worker busy to the end: the end-to-end files (the
 * longest, tens of seconds each) start first. vitest orders files by their durations from an
 * earlier run, and without one (a fresh clone, CI) by size, which started some of the longest
 * files last, so the suite waited for them alone.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The end-to-end directories, and the other files that take tens of seconds (a stale entry only moves a file). */
const LONG = [
  /[/\\]test[/\\](e2e|reliability-fast)[/\\]/,
  /[/\\]test[/\\](view[/\\]browser|batch[/\\]polling|package[/\\]install|cli[/\\]lock-and-crash|money[/\\]learned-estimate)\.test\.ts$/,
];
const isLong = (f: TestSpecification) => LONG.some((re) => re.test(f.moduleId));

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter(isLong), ...sorted.filter((f) => !isLong(f))];
  }
}
