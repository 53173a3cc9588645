/**
 * The module map (README, Layout): dependencies point one way, transport -> application -> core.
 *   transport:   order-events (Kafka), reconcile (reads the topics itself), http, admin, health, cli, bootstrap/main
 *   application: invoices, retention, consumer-offsets, outbox
 *   core:        idempotency, database, auth, audit, observability, common, config, transport-security, tracing, kafka (the kafkajs adapter)
 * Checked by `npm run lint`; specs are left out (they may reach for test doubles).
 */
const TRANSPORT = '^src/(order-events|reconcile|http|admin|health|cli)/';
const APPLICATION = '^src/(invoices|retention|consumer-offsets|outbox)/';
const CORE = '^src/(idempotency|database|auth|audit|observability|common|config|transport-security|tracing|kafka)/';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import cycles between files (hence none between folders).', from: {}, to: { circular: true } },
    {
      name: 'core-stays-below',
      severity: 'error',
      comment: 'Core modules know neither the application nor the transports.',
      // data-source-options is where every feature's entities are registered for TypeORM.
      from: { path: CORE, pathNot: '^src/database/data-source-options[.]ts$' },
      to: { path: [TRANSPORT, APPLICATION, '^src/(bootstrap|main|app[.]module)[.]ts$'] },
    },
    {
      name: 'idempotency-is-transport-free',
      severity: 'error',
      comment: 'The claim logic knows no Kafka: kafkajs and Nest microservices stay in the transport.',
      from: { path: '^src/idempotency/' },
      to: { path: ['kafkajs', '@nestjs/microservices'] },
    },
    {
      name: 'application-below-transport',
      severity: 'error',
      comment: 'Application services do not reach into the transports or the CLIs (a feature folder may hold its own REST controller).',
      from: { path: APPLICATION },
      to: { path: '^src/(order-events|reconcile|cli|admin|health)/' },
    },
    {
      name: 'nest-kafka-transport-in-order-events',
      severity: 'error',
      comment: 'Only the Kafka transport uses Nest microservices.',
      from: { path: '^src/', pathNot: '^src/(order-events/|bootstrap[.]ts$)' },
      to: { path: '@nestjs/microservices' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['[.]spec[.]ts$', '^dist/'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
