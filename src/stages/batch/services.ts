/** Placeholder: the Batch API stage defines what it needs from the CLI here. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BatchServices {}
