/**
 * Everything the engine has to say, as data. The engine never prints: reporters (src/report)
 * turn these into terminal lines, progress bars or JSON.
 */
import type { Estimate, Progress, RemoteState, StageFailure, TargetMoney, TokenUsage } from '../stages/types.ts';

export type BuildEvent =
  /** Up to date; nothing ran. */
  | { type: 'fresh'; target: string; rule: string }
  /** Stale; the stage starts, for these reasons. */
  | { type: 'start'; target: string; rule: string; reasons: string[] }
  | { type: 'done'; target: string; rule: string; summary?: string; usage?: TokenUsage; costUsd?: number; ms: number }
  /** Remote work in flight; the target is not done and its dependents wait. */
  | {
      type: 'pending';
      target: string;
      rule: string;
      progress: Progress;
      summary: string;
      state?: RemoteState;
      money?: TargetMoney;
      /** Failed already, with work still in flight: it fails once that work is collected. */
      failure?: StageFailure;
    }
  | { type: 'failed'; target: string; rule: string; failure: StageFailure }
  /** Not attempted because an input's target failed or is still pending. */
  | { type: 'blocked'; target: string; rule: string; waitingOn: string; because: 'failed' | 'pending' }
  /** Dry run: would run, for these reasons; remote stages add what they would send and cost. */
  | { type: 'would-run'; target: string; rule: string; reasons: string[]; estimate?: Estimate };

export type TargetState = 'fresh' | 'built' | 'pending' | 'failed' | 'blocked' | 'would-run';

export interface TargetResult {
  target: string;
  rule: string;
  state: TargetState;
  /** For blocked targets, the input target they wait for. */
  waitingOn?: string;
  blockedBecause?: 'failed' | 'pending';
  reasons?: string[];
  /** Why it failed; also on a pending target that failed already and still has work in flight. */
  failure?: StageFailure;
  progress?: Progress;
  estimate?: Estimate;
  usage?: TokenUsage;
  costUsd?: number;
  /**
   * Pending, and its remote work was cancelled during this run at the request of `pipeline
   * cancel`: not waited for any longer; the next build sends what it had not finished.
   */
  cancelled?: boolean;
}

export interface BuildSummary {
  results: Map<string, TargetResult>;
  /** The targets the user asked for (`results` also has what they depend on; all decide the exit code). */
  requested: string[];
}
