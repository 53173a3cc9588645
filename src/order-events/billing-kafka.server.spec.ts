import { BillingKafkaServer, MissingHandlerError } from './billing-kafka.server';
import { FetchedMessage, GroupConsumer, PartitionBatch } from '../kafka/group-consumer';
import { ConsumedBatch } from './consumed-batch';
import { BoundedKafka } from '../kafka/bounded-kafka';
import { TransientFaultRetrier } from './transient-fault.retrier';
import { Tracing } from '../tracing/tracing';
import { UndecodablePartitions } from '../observability/undecodable-partitions';
import { mockOf } from '../../test/support/builders';

function serverFor(topic: string): BillingKafkaServer {
  // Port 1: any attempt to reach a broker would fail, so the refusal must come before connecting.
  const delivery = { ...serverDelivery(), retrier: mockOf(TransientFaultRetrier) };
  return new BillingKafkaServer({
    consumer: () => new GroupConsumer({ kafka: new BoundedKafka({ brokers: ['127.0.0.1:1'] }), consumer: { groupId: 'g' }, commitIntervalMs: 1_000 }),
    delivery,
    patternByTopic: new Map([[topic, 'order.completed']]),
  });
}

const listen = (server: BillingKafkaServer) => new Promise<unknown>((resolve) => void server.listen(resolve));

describe('BillingKafkaServer', () => {
  it('refuses to start when a subscribed topic has no handler', async () => {
    const server = serverFor('orders.t1');
    server.addHandler('invoice.created', () => Promise.resolve(undefined), true);
    const error = await listen(server);
    expect(error).toBeInstanceOf(MissingHandlerError);
    expect((error as Error).message).toContain('order.completed');
  });
});

describe('BillingKafkaServer handing fetched batches over', () => {
  let eachBatch: (batch: PartitionBatch) => Promise<void>;
  let handled: string[][];
  let failOn: string | undefined;
  let server: BillingKafkaServer;

  const consumer = mockOf(GroupConsumer, {
    groupId: 'g',
    start: (_topics, _listener, handler) => {
      eachBatch = handler;
      return Promise.resolve();
    },
    detach: () => undefined,
  });
  // As TransientFaultRetrier does: a failed delivery rewinds its partition to the first offset delivered and parks it.
  const retrier = mockOf(TransientFaultRetrier, {
    deliver: async (coordinates, work, control) => {
      try {
        await work(false);
        return true;
      } catch {
        control.rewind(coordinates.offset);
        return false;
      }
    },
  });

  function start(maxEventsPerTransaction: number): Promise<unknown> {
    handled = [];
    failOn = undefined;
    const delivery = { ...serverDelivery(), retrier };
    server = new BillingKafkaServer({
      consumer: () => consumer,
      delivery,
      patternByTopic: new Map([['orders', 'order.completed']]),
      groupCommit: { maxConcurrentTransactions: 1, maxEventsPerTransaction },
    });
    server.addHandler(
      'order.completed',
      ({ messages }: ConsumedBatch) => {
        if (messages.some((m) => m.offset === failOn)) return Promise.reject(new Error('deadlock detected'));
        handled.push(messages.map((m) => m.offset));
        return Promise.resolve(undefined);
      },
      true,
    );
    return listen(server);
  }

  function fetchedBatch(offsets: string[], current = () => true) {
    const calls: string[] = [];
    const messages: FetchedMessage[] = offsets.map((offset) => ({ key: null, value: null, headers: {}, topic: 'orders', partition: 0, offset }));
    const batch: PartitionBatch = {
      topic: 'orders',
      partition: 0,
      messages,
      isCurrent: current,
      resolveThrough: (message) => void calls.push(`resolve ${message.offset}`),
      heartbeat: () => (calls.push('heartbeat'), Promise.resolve()),
      pause: () => () => undefined,
      rewind: (offset) => void calls.push(`rewind ${offset}`),
    };
    return { batch, calls };
  }

  it('hands a fetched batch over in transactions of at most KAFKA_BATCH_MAX_EVENTS, resolving each once it committed', async () => {
    await start(2);
    const { batch, calls } = fetchedBatch(['10', '11', '12', '13', '14']);
    await eachBatch(batch);
    expect(handled).toEqual([['10', '11'], ['12', '13'], ['14']]);
    expect(calls).toEqual(['resolve 11', 'resolve 13', 'resolve 14', 'heartbeat']);
  });

  it('gives each message a transaction of its own at KAFKA_BATCH_MAX_EVENTS=1', async () => {
    await start(1);
    const { batch } = fetchedBatch(['10', '11', '12']);
    await eachBatch(batch);
    expect(handled).toEqual([['10'], ['11'], ['12']]);
  });

  it('stops at a failed transaction: what committed before it stays resolved, the partition rewinds to its first message', async () => {
    await start(2);
    failOn = '13';
    const { batch, calls } = fetchedBatch(['10', '11', '12', '13', '14']);
    await eachBatch(batch);
    expect(handled).toEqual([['10', '11']]);
    expect(calls).toEqual(['resolve 11', 'rewind 12']);
  });

  it('hands nothing more over once the partition was taken away', async () => {
    await start(2);
    let fetchesLeft = 1;
    const { batch, calls } = fetchedBatch(['10', '11', '12'], () => fetchesLeft-- > 0);
    await eachBatch(batch);
    expect(handled).toEqual([['10', '11']]);
    expect(calls).toEqual(['resolve 11']);
  });
});

function serverDelivery() {
  return {
    resumePositions: () => Promise.resolve([]),
    onConsumerDead: () => undefined,
    tracing: new Tracing(),
    passedOver: () => undefined,
    storePassedOver: () => Promise.resolve(),
    undecodable: mockOf(UndecodablePartitions),
  };
}
