import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { TestKafka, uniqueName, waitFor } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';

describe('GET /health (real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  let topic: string;
  const apps: INestApplication[] = [];

  async function start(consume: boolean): Promise<INestApplication> {
    const { app } = await startTestApp({ databaseUrl: db.url, topic, consume });
    apps.push(app);
    return app;
  }

  const health = (app: INestApplication) => request(app.getHttpServer()).get('/health');

  beforeAll(async () => {
    db = await TestDatabase.create('health');
    kafka = await new TestKafka().connect();
    topic = uniqueName('order.completed.health');
    await kafka.createTopic(topic, 1);
  });

  afterEach(async () => {
    await db.restore();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(async () => {
    await kafka?.disconnect();
    await db?.drop();
  });

  it('answers 200 without a token when the database answers and the consumer is connected', async () => {
    const app = await start(true);
    const response = await health(app).expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, kafka_consumer: { status: 'up', state: 'connected' } },
    });
  });

  it('answers 503 when the consumer is not running', async () => {
    const app = await start(false);
    const response = await health(app).expect(503);
    expect(response.body).toMatchObject({ status: 'error', error: { kafka_consumer: { status: 'down' } }, info: { database: { status: 'up' } } });
  });

  it('answers 503 while the database is unreachable, and 200 again once it is back', async () => {
    const app = await start(true);
    await health(app).expect(200);
    await db.cutOff();
    const down = await health(app).expect(503);
    expect(down.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    await db.restore();
    await waitFor(async () => (await health(app)).status === 200, 30_000, 'health to recover');
  });
});
