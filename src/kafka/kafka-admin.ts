import { Admin } from 'kafkajs';
import { Offset } from './kafka-message';
import { createTopicsWithLeaders } from './kafka-topics';

/** The log start (low) and end (high) of one partition. */
export interface PartitionWatermarks {
  partition: number;
  low: Offset;
  high: Offset;
}

export interface KafkaPartitionOffset {
  partition: number;
  /** -1 where the group has committed nothing (committedOffsets) or no message is that late (offsetsForTime). */
  offset: Offset;
}

export interface NewTopic {
  topic: string;
  numPartitions?: number;
}

/** Reads and places offsets, and manages topics and groups: what the service and its CLIs ask of a Kafka admin. */
export class KafkaAdmin {
  constructor(private readonly admin: Admin) {}

  connect(): Promise<void> {
    return this.admin.connect();
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async topicOffsets(topic: string): Promise<PartitionWatermarks[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.map(({ partition, low, high }) => ({ partition, low, high }));
  }

  async committedOffsets(groupId: string, topic: string): Promise<KafkaPartitionOffset[]> {
    const [committed] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return committed.partitions.map(({ partition, offset }) => ({ partition, offset }));
  }

  /** The first offset at or after the instant, per partition. */
  async offsetsForTime(topic: string, at: Date): Promise<KafkaPartitionOffset[]> {
    const offsets = await this.admin.fetchTopicOffsetsByTimestamp(topic, at.getTime());
    return offsets.map(({ partition, offset }) => ({ partition, offset }));
  }

  setGroupOffsets(groupId: string, topic: string, partitions: KafkaPartitionOffset[]): Promise<void> {
    return this.admin.setOffsets({ groupId, topic, partitions });
  }

  async deleteGroups(groupIds: string[]): Promise<void> {
    await this.admin.deleteGroups(groupIds);
  }

  async hasRunningMembers(groupId: string): Promise<boolean> {
    const { groups } = await this.admin.describeGroups([groupId]);
    return groups.some((g) => g.members.length > 0);
  }

  /** Creates what does not exist yet and waits until every partition has a leader. */
  createTopics(topics: NewTopic[]): Promise<void> {
    return createTopicsWithLeaders(this.admin, topics);
  }

  async partitionCount(topic: string): Promise<number> {
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.length;
  }
}
