import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freshId, sampleRecord, testStore } from 'coatcheck/testing';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { RedisStore } from '../src/index.js';
import { clusterSkipReason, type RunningCluster, startCluster } from './fixtures/cluster.js';

// One cluster for the whole file, started before the suites register their hooks' work.
const skip = await clusterSkipReason();
let cluster: RunningCluster | undefined;
if (!skip) cluster = await startCluster();
after(async () => {
  await cluster?.stop();
});

const nodes = () => (cluster as RunningCluster).nodes;

let ioredis: Cluster | undefined;
testStore({
  name: 'RedisStore on a three-master Redis Cluster, ioredis Cluster client',
  skip,
  requires: 'all',
  create: async () => {
    ioredis = new Cluster(nodes());
    return new RedisStore({ client: ioredis, prefix: 'cluster-ioredis:' });
  },
  // The suite's last scenario closed the store: purge through another one on the same client.
  close: async (store) => {
    await store.close();
    await new RedisStore({ client: ioredis as Cluster, prefix: store.prefix }).purge();
    await ioredis?.quit();
  },
});

let nodeRedis: ReturnType<typeof createCluster> | undefined;
testStore({
  name: 'RedisStore on a three-master Redis Cluster, node-redis cluster client',
  skip,
  requires: 'all',
  create: async () => {
    nodeRedis = createCluster({
      rootNodes: nodes().map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    });
    await nodeRedis.connect();
    return new RedisStore({ client: nodeRedis, prefix: 'cluster-node-redis:' });
  },
  close: async (store) => {
    await store.close();
    await new RedisStore({
      client: nodeRedis as NonNullable<typeof nodeRedis>,
      prefix: store.prefix,
    }).purge();
    await nodeRedis?.close();
  },
});

describe('RedisStore keys on a Redis Cluster', { skip }, () => {
  let client: Cluster;
  before(() => {
    client = new Cluster(nodes());
  });
  after(() => client.quit());

  it('spreads sessions over the masters, and a user’s sessions need not share a slot', async () => {
    const store = new RedisStore({ client, prefix: 'cluster-spread:' });
    const user = freshId('user');
    const ids = Array.from({ length: 30 }, () => freshId());
    for (const id of ids) await store.write(id, sampleRecord({ user }));
    const slots = new Set(
      await Promise.all(
        ids.map((id) => client.call('CLUSTER', 'KEYSLOT', store.sessionKey(id)) as Promise<number>),
      ),
    );
    assert.ok(slots.size > 1, 'sessions hash to several slots');
    const perMaster = await Promise.all(
      client
        .nodes('master')
        .map(
          async (node) => (await node.scan('0', 'MATCH', 'cluster-spread:sess:*', 'COUNT', 1000))[1].length,
        ),
    );
    assert.ok(perMaster.filter((n) => n > 0).length > 1, 'on more than one master');
    assert.equal((await store.listByUser(user)).length, ids.length);
    assert.equal(await store.removeByUser(user), ids.length);
    await store.purge();
  });
});
