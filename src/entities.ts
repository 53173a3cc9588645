import { AdminAuditEntry } from './auth/admin-audit.entity';
import { StoredOffset } from './consumer-offsets/stored-offset.entity';
import { ProcessedEvent } from './idempotency/processed-event.entity';
import { Invoice } from './invoices/invoice.entity';
import { OutboxMessage } from './outbox/outbox-message.entity';

/**
 * Every table's entity, for the data sources built outside the app: the migration CLI (src/data-source.ts) and the
 * tests. The app registers each through its own module (TypeOrmModule.forFeature); test/invoices-api.e2e-spec.ts holds
 * the two lists equal.
 */
export const ENTITIES = [ProcessedEvent, Invoice, StoredOffset, OutboxMessage, AdminAuditEntry];
