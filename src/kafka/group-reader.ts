import { Kafka } from 'kafkajs';
import { ConsumedMessage } from './kafka-message';

/** Per partition: where reading starts and the end offset captured before: the read stops there. */
export type Positions = ReadonlyMap<number, { start: number; end: number }>;

export interface GroupRead {
  topic: string;
  groupId: string;
  /** Each handled message is committed at once, so an interrupted read resumes after the last one handled. */
  commit: boolean;
  idleTimeoutMs: number;
}

export type MessageHandler = (partition: number, message: ConsumedMessage) => Promise<void>;

/**
 * Reads `topic` through the consumer group from its positions up to the end offsets captured in `positions`,
 * one message at a time; fails when no message arrives for `idleTimeoutMs` before every end is reached.
 */
export async function readGroupToEnds(kafka: Kafka, read: GroupRead, positions: Positions, onMessage: MessageHandler): Promise<void> {
  const { topic, groupId, commit, idleTimeoutMs } = read;
  const consumer = kafka.consumer({ groupId });
  const remaining = new Set([...positions].filter(([, p]) => p.start < p.end).map(([partition]) => partition));
  let finish!: (error?: Error) => void;
  const finished = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve())));
  let idle: NodeJS.Timeout | undefined;
  const armIdleTimer = () => {
    clearTimeout(idle);
    idle = setTimeout(() => finish(new Error(`no message for ${idleTimeoutMs} ms before the end offsets of ${topic}`)), idleTimeoutMs);
  };

  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    armIdleTimer();
    await consumer.run({
      autoCommit: false,
      eachMessage: async (payload) => {
        const { partition, message } = payload;
        const pause = () => payload.pause();
        const end = positions.get(partition)?.end ?? 0;
        if (Number(message.offset) >= end) {
          pause();
          return;
        }
        armIdleTimer();
        await onMessage(partition, message);
        if (commit) await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        if (Number(message.offset) + 1 >= end) {
          pause();
          remaining.delete(partition);
          if (remaining.size === 0) finish();
        }
      },
    });
    await finished;
  } finally {
    clearTimeout(idle);
    await consumer.disconnect();
  }
}
