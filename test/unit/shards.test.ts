import { describe, expect, it } from 'vitest';
import { unshardedQueueName, concurrencyPerShard, layoutOf, pollQueueName, shardOf } from '../../src/queue/shards.ts';

describe('shardOf', () => {
  it('is FNV-1a of the id: the same shard on every process, machine and release', () => {
    // Reference values of 32-bit FNV-1a: "" is 0x811c9dc5, "a" is 0xe40c292c.
    expect(shardOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(shardOf('monitor-42', 6)).toBe(shardOf('monitor-42', 6));
    expect(shardOf('anything', 1)).toBe(0);
  });

  it('spreads ids about evenly', () => {
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 80_000; i++) counts[shardOf(`job-${i}`, 8)]++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

describe('queue names', () => {
  it('carry a hash tag per shard when sharded or on a cluster, and stay plain otherwise', () => {
    expect(pollQueueName(0, layoutOf(1, false), 'polls')).toBe('polls');
    expect(unshardedQueueName(layoutOf(1, false), 'completions')).toBe('completions');
    expect(pollQueueName(3, layoutOf(6, false), 'polls')).toBe('{polls-3}');
    expect(pollQueueName(0, layoutOf(1, true), 'polls')).toBe('{polls-0}');
    expect(unshardedQueueName(layoutOf(6, true), 'completions')).toBe('{completions}');
  });
});

describe('concurrencyPerShard', () => {
  it('splits a process concurrency over its shards, at least one each', () => {
    expect(concurrencyPerShard(50, 1)).toBe(50);
    expect(concurrencyPerShard(50, 6)).toBe(9);
    expect(concurrencyPerShard(4, 64)).toBe(1);
  });
});
