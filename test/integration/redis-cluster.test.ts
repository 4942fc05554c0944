import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { nodeOfKey, startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';
import { RedisRequestGate } from '../../src/gate/redis-gate.ts';
import { GateWatch } from '../../src/gate/gate-watch.ts';
import { parseRateLimits } from '../../src/monitor/gate/rate-limits.ts';
import { countRows, rowsById } from '../helpers/results.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, runCli, spawnWorker, testClient } from '../helpers/workers.ts';
import { connectRedis } from '../../src/redis/connection.ts';
import { countHandleWrites } from '../helpers/socket-writes.ts';

const MONITORS = 60;

let cluster: TestRedisCluster;
let iso: Isolated;
let server: StatusServer;
let env: Record<string, string>;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  iso = await createIsolation();
  server = await startStatusServer();
  env = { REDIS_CLUSTER_NODES: cluster.nodes, JOBWATCH_SHARDS: '6', JOBWATCH_MIN_INTERVAL: '10ms' };
}, 60_000);

afterAll(async () => {
  await server?.close();
  await iso?.cleanup();
  await cluster?.stop();
});

describe('on a Redis Cluster of 3 masters, with 6 shards', () => {
  it('runs monitors to completion through worker processes, with the shards spread over the nodes', async () => {
    const ids = Array.from({ length: MONITORS }, (_, i) => `cluster-${i}`);
    for (const [i, id] of ids.entries()) {
      server.script(id, [...Array.from({ length: i % 3 }, () => ({ status: 'Processing' })), { status: i % 4 === 0 ? 'Failed' : 'Completed' }]);
    }
    server.script('from-the-cli', [{ status: 'Processing' }, { status: 'Completed' }]);

    const client = testClient(iso, env);
    const workers = [spawnWorker(iso.env(env)), spawnWorker(iso.env(env))];
    try {
      const started = await client.startMonitors(ids.map((jobId) => ({ jobId, statusUrl: server.template, interval: '50ms' })));
      expect(started.created).toBe(MONITORS);
      const enqueued = await runCli(['enqueue', '--job-id', 'from-the-cli', '--status-url', server.template, '--interval', '50ms'], iso.env(env));
      expect(enqueued.stderr).toBe('');
      expect(enqueued.code).toBe(0);

      await waitFor(async () => (await countRows(iso)) === MONITORS + 1, { what: `${MONITORS + 1} rows`, timeoutMs: 60_000, intervalMs: 250 });
      const rows = await rowsById(iso);
      for (const [i, id] of ids.entries()) expect(rows.get(id)?.outcome, id).toBe(i % 4 === 0 ? 'failed' : 'completed');
      expect(rows.get('from-the-cli')).toMatchObject({ outcome: 'completed', polls: 2 });

      const status = await runCli(['status', 'cluster-5'], iso.env(env));
      expect(JSON.parse(status.stdout)).toMatchObject({ monitorId: 'cluster-5', state: 'ended', outcome: 'completed' });
      expect(await client.listMonitors({ state: 'running' })).toMatchObject({ monitors: [] });
    } finally {
      await client.close();
      for (const worker of workers) worker.kill('SIGTERM');
      const codes = await Promise.all(workers.map(exited));
      expect(codes, workers.map((worker) => worker.output()).join('\n')).toEqual([0, 0]);
    }

    // Each shard's keys are on one node (one hash slot), and the shards are on more than one node.
    const nodesOfShard = await shardKeysByNode(cluster.nodes, iso.prefix);
    expect([...nodesOfShard.keys()].sort()).toEqual(['{polls-0}', '{polls-1}', '{polls-2}', '{polls-3}', '{polls-4}', '{polls-5}']);
    for (const nodes of nodesOfShard.values()) expect(nodes.size).toBe(1);
    const nodesUsed = new Set([...nodesOfShard.values()].flatMap((nodes) => [...nodes]));
    expect(nodesUsed.size).toBeGreaterThan(1);
  }, 120_000);
});

describe('a cluster connection from connectRedis', () => {
  it("sends the commands of one turn to a node in one write, on each node", async () => {
    const connection = connectRedis({ redisUrl: 'redis://127.0.0.1', redisClusterNodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) }) as Cluster;
    try {
      await connection.ping();
      // One hash tag per master, so that each turn's commands go to every node.
      const tags = new Map<string, string>();
      for (let i = 0; tags.size < 3 && i < 1_000; i++) {
        const node = await nodeOfKey(connection, `{coalesce-${i}}`);
        if (!tags.has(node)) tags.set(node, `{coalesce-${i}}`);
      }
      expect(tags.size).toBe(3);
      const keys = [...tags.values()].map((tag) => `${iso.prefix}:${tag}`);
      await Promise.all(keys.map((key) => connection.get(key))); // every node's socket is open
      const writes = connection.nodes('master').map((node) => countHandleWrites(node));
      await Promise.resolve();
      const replies = await Promise.all(Array.from({ length: 300 }, (_, i) => connection.incr(keys[i % 3]!)));
      expect(replies.slice(-3)).toEqual([100, 100, 100]);
      for (const counter of writes) expect(counter.count).toBe(1);
      await Promise.all(keys.map((key) => connection.del(key)));
    } finally {
      connection.disconnect();
    }
  });
});

describe('the request gate on a Redis Cluster', () => {
  it('runs its scripts for many keys, each key\'s state on one node, the keys spread over the nodes', async () => {
    const connection = new Cluster(cluster.nodes.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })));
    const parsed = parseRateLimits('*=1/m');
    if (!parsed.ok) throw new Error(parsed.problem);
    const gate = new RedisRequestGate(connection, { prefix: iso.prefix, limits: parsed.limits, hostFailures: 1, probeEveryMs: 60_000 });
    try {
      const keys = Array.from({ length: 12 }, (_, i) => `host-${i}.example:${8000 + i}`);
      for (const key of keys) {
        expect((await gate.admit(key)).hold).toBeUndefined();
        expect((await gate.admit(key)).hold).toMatchObject({ reason: 'rate-limit' });
        // A Retry-After, and a failure that opens the circuit: every script of the key runs on its node.
        expect(await gate.observe(key, { ok: false, failure: { reason: 'http-status', httpStatus: 429, message: '429', retryAfterMs: 5_000 } }))
          .toMatchObject({ reason: 'retry-after' });
        await gate.observe(key, { ok: false, failure: { reason: 'connection', message: 'ECONNREFUSED' } });
        expect(await connection.exists(gate.keysOf(key).open)).toBe(1);
        expect((await gate.admit(key)).hold).toMatchObject({ reason: 'retry-after' });
      }
      const nodesOfKey = await Promise.all(keys.map(async (key) => new Set(await Promise.all(Object.values(gate.keysOf(key)).map((k) => nodeOfKey(connection, k))))));
      for (const nodes of nodesOfKey) expect(nodes.size).toBe(1);
      expect(new Set(nodesOfKey.map((nodes) => [...nodes][0])).size).toBeGreaterThan(1);
    } finally {
      connection.disconnect();
    }
  });
});

describe('the gate watch on a Redis Cluster', () => {
  it('hears the changes of keys on every node, and reads them back from every master', async () => {
    const connect = () => new Cluster(cluster.nodes.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })));
    const connection = connect();
    const early = new GateWatch(connection, iso.prefix);
    const late = new GateWatch(connection, iso.prefix);
    try {
      await early.start();
      await waitFor(() => early.view.isTrusted(), { what: 'the watch subscribed and read back' });
      const gate = new RedisRequestGate(connection, { prefix: iso.prefix, hostFailures: 20, probeEveryMs: 60_000, watch: early });
      const keys = Array.from({ length: 12 }, (_, i) => `watched-${i}.example:${8000 + i}`);
      for (const key of keys) {
        await gate.observe(key, { ok: false, failure: { reason: 'http-status', httpStatus: 429, message: '429', retryAfterMs: 60_000 } });
      }
      // Published by scripts on every master, heard on the one the watch subscribed on.
      await waitFor(() => keys.every((key) => !early.isQuiet(key)), { what: 'every hold heard' });
      expect(new Set(await Promise.all(keys.map((key) => nodeOfKey(connection, gate.keysOf(key).hold)))).size).toBeGreaterThan(1);
      await late.start();
      await waitFor(() => late.view.isTrusted(), { what: 'the second watch subscribed and read back' });
      for (const key of keys) expect(late.isQuiet(key), key).toBe(false);
      expect(late.isQuiet('unheld.example')).toBe(true);
    } finally {
      await early.close();
      await late.close();
      connection.disconnect();
    }
  });
});

/** For each poll shard that has keys under the prefix, the masters that hold them. */
async function shardKeysByNode(nodes: string, prefix: string): Promise<Map<string, Set<string>>> {
  const client = new Cluster(nodes.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })));
  try {
    await client.ping();
    const byShard = new Map<string, Set<string>>();
    for (const master of client.nodes('master')) {
      const name = `${master.options.host}:${master.options.port}`;
      let cursor = '0';
      do {
        const [next, keys] = await master.scan(cursor, 'MATCH', `${prefix}:{polls-*`, 'COUNT', 1_000);
        for (const key of keys) {
          const shard = key.slice(prefix.length + 1, key.indexOf('}') + 1);
          byShard.set(shard, (byShard.get(shard) ?? new Set()).add(name));
        }
        cursor = next;
      } while (cursor !== '0');
    }
    return byShard;
  } finally {
    client.disconnect();
  }
}
