/**
 * What the page shows, as one JSON value: the server sends a new one whenever something changes
 * and `status --html` embeds one in the file. The page renders it and computes nothing but ages
 * (from `generatedAt` and its own clock) and layout.
 */
import type { StatusState, TargetStatus } from '../engine/status.ts';

export interface ViewTarget {
  target: string;
  rule: string;
  state: StatusState;
  /** The remote stage's own word for where its batches are (validating, in_progress…). */
  remoteState?: string;
  /** Why it is not up to date (or what failed): the first reason is the one that matters. */
  reasons: string[];
  failure?: TargetStatus['failure'];
  /** Failed requests listed by the remote stage (custom_id: why). */
  remoteFailures?: string[];
  progress?: { done: number; total: number; failed?: number };
  usage?: { input: number; output: number };
  /** Dollars spent so far (batch price). */
  spentUsd?: number;
  /** Dollars still expected: requests not sent yet plus the unanswered part of batches in flight. */
  expectedUsd?: number;
  /** When the oldest in-flight batch was created (ms), against the provider's 24 h window. */
  inFlightSince?: number;
  builtAt?: number;
  /** The target's wildcard values joined (`abstract_algebra`): the "subject" money is grouped by. */
  group: string;
  /** Whether it pays a provider (its tokens and dollars count in the totals). */
  remote: boolean;
  /** Whether the page can show its records side by side with the answers (a merge target). */
  rows: boolean;
}

export interface ViewTotals {
  targets: number;
  byState: Partial<Record<StatusState, number>>;
  requests: { done: number; total: number; failed: number };
  tokens: { input: number; output: number };
  spentUsd: number;
  expectedUsd: number;
  /** The dry-run estimate is still being computed (expected dollars may be missing). */
  estimating: boolean;
  oldestInFlightSince?: number;
}

export interface ViewGraphNode {
  id: string;
  source: boolean;
  /** Column: 0 for sources, then one past the deepest input. */
  layer: number;
  /** Row within the column. */
  row: number;
  state?: StatusState;
  rule?: string;
}

export interface ViewGraph {
  nodes: ViewGraphNode[];
  edges: { from: string; to: string; rule: string }[];
  /** Nodes left out to keep the page light (huge graphs). */
  omitted: number;
}

export interface ViewGroupMoney {
  group: string;
  spentUsd: number;
  expectedUsd: number;
  input: number;
  output: number;
}

export interface ViewTimeline {
  /** Cumulative requests answered: [time ms, count], oldest first. */
  points: [number, number][];
}

export interface ViewSnapshot {
  generatedAt: number;
  root: string;
  configFile: string;
  /** Where progress comes from, and anything the reader should know about it. */
  source: { kind: 'api' | 'emulator' | 'files'; note?: string };
  /** A build holds the lock (described), so its own records are what is shown. */
  build?: string;
  totals: ViewTotals;
  targets: ViewTarget[];
  graph: ViewGraph;
  money: ViewGroupMoney[];
  timeline: ViewTimeline;
}
