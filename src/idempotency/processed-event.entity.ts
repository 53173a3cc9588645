import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One claim per event_id: the row whose insert decides which delivery of an event does the work. */
@Entity({ name: 'processed_events' })
export class ProcessedEvent {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  /** SHA-256 of the billing fields, to tell a replay from a reused event_id. */
  @Column({ type: 'char', length: 64 })
  fingerprint!: string;

  @Index('processed_events_processed_at_idx')
  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt!: Date;
}
