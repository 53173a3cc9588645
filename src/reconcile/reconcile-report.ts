import { MessageClass } from './message-verdict';

export interface MessageReport {
  partition: number;
  offset: string;
  timestamp: string;
  class: MessageClass;
  detail: string;
  eventId: string | null;
  tenantId: string | null;
  orderId: string | null;
  amount: string | null;
  currency: string | null;
  /** The invoice of its event_id, whatever the verdict. */
  invoiceId: string | null;
}

export interface OrphanReport {
  invoiceId: string;
  eventId: string;
  tenantId: string;
  orderId: string;
  amount: string;
  currency: string;
  createdAt: string;
}

export interface ReconcileSummary {
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  from: string;
  to: string;
  /** Invoices created in this window must each be explained by a message; null when the range is empty. */
  invoiceWindow: { from: string; to: string } | null;
  partitions: { partition: number; start: number; end: number }[];
  messages: number;
  counts: Record<MessageClass, number>;
  deadLetteredByReason: Record<string, number>;
  orphan: number;
  elapsedMs: number;
  messagesPerSecond: number;
  peakRssMb: number;
  /** Nothing unexplained and no orphan invoice. */
  balanced: boolean;
}

/** Where the report goes, one message or orphan at a time: nothing of the range has to be held to write it. */
export interface ReportSink {
  message(report: MessageReport): Promise<void>;
  orphan(report: OrphanReport): Promise<void>;
  finish(summary: ReconcileSummary): Promise<void>;
}
