/** The service's progress as the suite reads it from PostgreSQL. */
export interface Progress {
  invoices: number;
  announced: number;
  pending: number;
}

/**
 * Whether the service moved on since a fault cleared: it invoiced more (or had invoiced every order) and announced more
 * (or had nothing left to announce). The baseline is the lowest count seen since the fault cleared, not the count at
 * that moment: a database restore later in the plan moves the counts back, and growth from there is progress.
 */
export class ProgressSince {
  private baseline: Pick<Progress, 'invoices' | 'announced'>;
  private readonly expectedInvoices: number;

  constructor(clearedAt: Progress, expectedInvoices: number) {
    this.baseline = clearedAt;
    this.expectedInvoices = expectedInvoices;
  }

  movedOn(now: Progress): boolean {
    const invoicing = now.invoices > this.baseline.invoices || now.invoices === this.expectedInvoices;
    const announcing = now.announced > this.baseline.announced || now.pending === 0;
    this.baseline = {
      invoices: Math.min(this.baseline.invoices, now.invoices),
      announced: Math.min(this.baseline.announced, now.announced),
    };
    return invoicing && announcing;
  }
}
