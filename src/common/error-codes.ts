/** What the registry says of one code; the HTTP status and the Kafka decision are mapped where they are made. */
export interface ErrorCodeSpec {
  /** The same operation may succeed later without anyone changing it: a consumer retries, a client may try again. */
  readonly retriable: boolean;
  /** A client can receive it in an HTTP response (then the HTTP filter maps it to a status). */
  readonly http: boolean;
  readonly description: string;
}

/** Every code the service raises on purpose: stable for clients, operators and dashboards. */
export const ERROR_CODES = {
  'request.invalid': { retriable: false, http: true, description: 'a request the client can fix: bad query parameters, a malformed id or cursor' },
  'auth.token_missing': { retriable: false, http: true, description: 'no bearer token' },
  'auth.token_invalid': { retriable: false, http: true, description: 'a token that does not verify' },
  'auth.token_expired': { retriable: false, http: true, description: 'a token past its exp' },
  'auth.forbidden': { retriable: false, http: true, description: 'a valid token without the role the route needs' },
  'auth.keys_unavailable': { retriable: true, http: true, description: "the identity provider's key set was never fetched yet" },
  'database.unavailable': { retriable: true, http: true, description: 'PostgreSQL is busy or unreachable for now' },
  'invoice.not_found': { retriable: false, http: true, description: "no such invoice, or another tenant's" },
  'outbox.not_found': { retriable: false, http: true, description: 'no outbox row for the invoice to reannounce' },
  'retention.purge_in_progress': { retriable: true, http: true, description: 'another retention purge holds the lock' },
  'event.invalid_encoding': { retriable: false, http: false, description: 'poison: a message value that is not UTF-8' },
  'event.invalid_json': { retriable: false, http: false, description: 'poison: a message value that is empty or not JSON' },
  'event.invalid_payload': { retriable: false, http: false, description: 'poison: JSON that is not a valid order.completed' },
  'event.conflict': { retriable: false, http: false, description: 'poison: an event_id already processed with other billing fields' },
  'event.rejected_by_database': {
    retriable: false,
    http: true,
    description: "PostgreSQL refuses the data itself (SQLSTATE class 22, 23 or 54000): poison on Kafka, the client's fault over HTTP",
  },
  'idempotency.claim_race': { retriable: true, http: false, description: 'a purge removed a claim between its insert and its read' },
  'idempotency.handler_not_idempotent': { retriable: false, http: false, description: 'a defect: a message handler could bypass the claim (refuses the boot)' },
  'order_events.missing_handler': { retriable: false, http: false, description: 'a defect: no handler for a subscribed Kafka pattern' },
  'outbox.publish_timeout': { retriable: true, http: false, description: 'the broker did not acknowledge an outbox batch in time' },
  'kafka.incomplete_send': { retriable: true, http: false, description: 'a send that kafkajs reported done left partitions unwritten' },
  'kafka.undecodable_batch': { retriable: false, http: false, description: 'a fetched record batch the client cannot decode' },
  'kafka.batch_too_large': { retriable: false, http: false, description: 'a record batch that would decompress past the limit' },
  'config.invalid': { retriable: false, http: false, description: 'bad configuration: the boot stops, exit code 78' },
  'config.database_url': { retriable: false, http: false, description: 'a DATABASE_URL the service cannot honour' },
  'boot.transport_security': { retriable: false, http: false, description: 'TLS or SASL settings that cannot work: the boot stops' },
  'cli.usage': { retriable: false, http: false, description: 'a bad command line: usage and exit code 64' },
  'reconcile.bad_range': { retriable: false, http: false, description: 'a reconcile bound that is neither an instant nor partition offsets' },
  'reconcile.no_group_offsets': { retriable: false, http: false, description: 'the consumer group has no offsets to reconcile against' },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes a client can receive over HTTP: each has a status in the HTTP filter (checked by the compiler). */
export type HttpErrorCode = { [C in ErrorCode]: (typeof ERROR_CODES)[C]['http'] extends true ? C : never }[ErrorCode];
