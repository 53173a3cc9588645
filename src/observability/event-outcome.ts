/** What the consumer decided for one message: the label of billing_events_total and of its log line. */
export type EventOutcome = 'invoiced' | 'duplicate' | 'duplicate_order' | 'conflict' | 'poison';
