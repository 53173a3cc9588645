/**
 * invoiced: a new invoice. duplicate_order: the order was already invoiced under another event_id.
 * duplicate: this very event was invoiced before its claim was purged by retention.
 */
export type InvoiceOutcome = 'invoiced' | 'duplicate_order' | 'duplicate';
