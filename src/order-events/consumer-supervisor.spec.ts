import pino from 'pino';
import { consumerPolicy } from '../../test/support/builders';
import { ConsumerSupervisor } from './consumer-supervisor';

const refusedLogin = () => Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });

describe('ConsumerSupervisor', () => {
  let supervisor: ConsumerSupervisor;
  let exit: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers();
    supervisor = new ConsumerSupervisor(pino({ level: 'silent' }), consumerPolicy({ retryInitialMs: 100, retryMaxMs: 400 }));
    exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  });

  afterEach(() => {
    supervisor.onApplicationShutdown();
    exit.mockRestore();
    jest.useRealTimers();
  });

  it('restarts a consumer whose login was refused, with a doubling capped backoff, until it starts', async () => {
    const restart = jest.fn().mockRejectedValueOnce(refusedLogin()).mockRejectedValueOnce(new Error('Connection error')).mockResolvedValue(undefined);
    supervisor.consumerDied(refusedLogin(), restart);
    for (const [delay, calls] of [
      [99, 0],
      [1, 1],
      [199, 1],
      [1, 2],
      [399, 2],
      [1, 3],
    ] as const) {
      await jest.advanceTimersByTimeAsync(delay);
      expect(restart).toHaveBeenCalledTimes(calls);
    }
    await jest.advanceTimersByTimeAsync(10_000);
    expect(restart).toHaveBeenCalledTimes(3);
    expect(exit).not.toHaveBeenCalled();
  });

  it('exits for any other death, and stops restarting at shutdown', async () => {
    supervisor.consumerDied(new Error('boom'), jest.fn());
    expect(exit).toHaveBeenCalledWith(70);
    const restart = jest.fn();
    supervisor.consumerDied(refusedLogin(), restart);
    supervisor.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(restart).not.toHaveBeenCalled();
  });
});
