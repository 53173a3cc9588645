import { ArgumentsHost } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { SettledPositions } from '../consumer-offsets/settled-positions';
import { EventOutcomeRecorder } from '../observability/event-outcome.recorder';
import { ConsumerExceptionFilter } from './consumer-exception.filter';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { Delivery, FetchedMessage } from './delivery';

const message = (offset: string, partition = 0): FetchedMessage => ({
  key: null,
  value: Buffer.from('{}'),
  headers: {},
  topic: 'order.completed',
  partition,
  offset,
});
const hostFor = (delivery: Delivery) => ({ switchToRpc: () => ({ getData: () => delivery }) }) as unknown as ArgumentsHost;

describe('ConsumerExceptionFilter on a transient fault', () => {
  let recorded: { outcome: string; offset: string }[];
  let filter: ConsumerExceptionFilter;

  beforeEach(() => {
    recorded = [];
    const recorder = { record: (outcome: string, d: { message: FetchedMessage }) => recorded.push({ outcome, offset: d.message.offset }) };
    const positions: SettledPositions = { record: () => Promise.resolve() };
    filter = new ConsumerExceptionFilter({} as DeadLetterPublisher, recorder as unknown as EventOutcomeRecorder, positions);
  });

  it('counts a message of its own as failed once and rethrows, so it is retried', async () => {
    const fault = new Error('connection lost');
    await expect(lastValueFrom(filter.catch(fault, hostFor(new Delivery('message', [message('7')]))))).rejects.toBe(fault);
    expect(recorded).toEqual([{ outcome: 'failed', offset: '7' }]);
  });

  it('records no outcome for the messages of a rolled-back batch: nothing happened to them yet, their partitions are retried', async () => {
    const fault = new Error('deadlock detected');
    const batch = new Delivery('batch', [message('7'), message('8'), message('3', 1)]);
    await expect(lastValueFrom(filter.catch(fault, hostFor(batch)))).rejects.toBe(fault);
    expect(recorded).toEqual([]);
  });
});
