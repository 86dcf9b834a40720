/** What a cost limit kept back, shared by the batch stage's budget guard and the online budget gate. */
/** Requests held back by a cost limit, and what sending them would take. */
export interface Held {
  requests: number;
  worstUsd: number;
  expectedUsd: number;
  /** Of them, without a bound on their output (their worst case is an estimate). */
  unbounded: number;
}
