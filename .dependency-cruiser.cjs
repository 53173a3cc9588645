/**
 * The module map (README, Layout): dependencies point one way, transport -> application -> core, with no exemption.
 *   composition root: src/*.ts (main, bootstrap, app.module, extension-points.module, entities, data-source)
 *   transport:   order-events (Kafka), reconcile (reads the topics itself), http, admin, health, cli
 *   application: invoices, retention, consumer-offsets, outbox
 *   core:        idempotency, database, auth, observability, common, config, transport-security, tracing, kafka (the kafkajs adapter)
 *   kafka/ is the only folder that imports kafkajs: replacing the client means rewriting that folder alone.
 * Checked by `npm run lint` over src/, bench/, scripts/ and test/chaos/; specs are left out (they may reach for test doubles).
 */
const ROOT = '^src/[^/]+[.]ts$';
const TRANSPORT = '^src/(order-events|reconcile|http|admin|health|cli)/';
const APPLICATION = '^src/(invoices|retention|consumer-offsets|outbox)/';
const CORE = '^src/(idempotency|database|auth|observability|common|config|transport-security|tracing|kafka)/';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import cycles between files.', from: {}, to: { circular: true } },
    { name: 'no-folder-cycles', severity: 'error', comment: 'No import cycles between folders.', scope: 'folder', from: {}, to: { circular: true } },
    {
      name: 'composition-root-on-top',
      severity: 'error',
      comment: 'Only the composition root (src/*.ts) wires the folders together; no folder imports it.',
      from: { path: '^src/[^/]+/' },
      to: { path: ROOT },
    },
    {
      name: 'core-stays-below',
      severity: 'error',
      comment: 'Core modules know neither the application nor the transports (entities are registered by their own modules).',
      from: { path: CORE },
      to: { path: [TRANSPORT, APPLICATION] },
    },
    {
      name: 'application-below-transport',
      severity: 'error',
      comment: 'Application code does not reach into the transports, http/ or the CLIs (a feature folder may hold its own REST controller).',
      from: { path: APPLICATION },
      to: { path: TRANSPORT },
    },
    {
      name: 'idempotency-is-transport-free',
      severity: 'error',
      comment: 'The claim logic knows no Kafka: kafkajs and Nest microservices stay in the transport.',
      from: { path: '^src/idempotency/' },
      to: { path: ['kafkajs', '@nestjs/microservices'] },
    },
    {
      name: 'kafkajs-only-in-kafka-adapter',
      severity: 'error',
      comment: 'kafkajs is imported under src/kafka/ only; the rest of the code uses the adapter and its own types.',
      from: {
        path: '^src/',
        pathNot: '^src/kafka/',
      },
      to: { path: '(^|/)node_modules/kafkajs/' },
    },
    {
      name: 'nest-kafka-transport-in-order-events',
      severity: 'error',
      comment: 'Only the Kafka transport uses Nest microservices.',
      from: { path: '^src/', pathNot: '^src/(order-events/|bootstrap[.]ts$)' },
      to: { path: '@nestjs/microservices' },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      comment: 'Production code carries no test code: src/ imports nothing from test/, bench/, scripts/ or infra/.',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts|infra)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['[.]spec[.]ts$', '^dist/'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
