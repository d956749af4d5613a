// The FerretDB that the MongoDB tests run on (tools/ferretdb): it starts on loopback, answers the
// driver, refuses any other address, and holds no connection beyond this machine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import {
  type FerretDBServer,
  ferretdbBinary,
  ferretdbVersion,
  startFerretDB,
} from '../../tools/ferretdb/ferretdb.mjs';

const inCI = process.env.CI === 'true' || process.env.CI === '1';
const built = existsSync(ferretdbBinary());
if (!built && inCI) throw new Error(`FerretDB is not built (${ferretdbBinary()}), and CI requires it`);
const skip = built ? false : 'FerretDB is not built; build it with: node tools/ferretdb/ferretdb.mjs build';
if (skip) console.log(`# skipping FerretDB tooling tests: ${skip}`);

/** The TCP sockets of process `pid`: local and remote address as `a.b.c.d:port`, IPv4 and IPv6. */
function socketsOf(pid: number): Array<{ local: string; remote: string }> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1] as string);
    } catch {}
  }
  const decode = (hex: string): string => {
    const [address = '', port = ''] = hex.split(':');
    const ip =
      address.length === 8
        ? (address.match(/../g) ?? [])
            .reverse()
            .map((byte) => Number.parseInt(byte, 16))
            .join('.')
        : address; // IPv6: kept in the kernel's hex form
    return `${ip}:${Number.parseInt(port, 16)}`;
  };
  const sockets: Array<{ local: string; remote: string }> = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[9] && inodes.has(fields[9])) {
        sockets.push({ local: decode(fields[1] as string), remote: decode(fields[2] as string) });
      }
    }
  }
  return sockets;
}

describe(`FerretDB ${ferretdbVersion()} for the MongoDB tests`, { skip }, () => {
  let server: FerretDBServer;
  before(async () => {
    server = await startFerretDB();
  });
  after(() => server?.stop());

  it('answers ping, and the driver reads back what it wrote', async () => {
    const client = new MongoClient(server.uri);
    try {
      assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
      const collection = client.db().collection<{ _id: string; n: number }>('tooling');
      await collection.insertOne({ _id: 'a', n: 1 });
      assert.deepEqual(await collection.findOne({ _id: 'a' }), { _id: 'a', n: 1 });
    } finally {
      await client.close();
    }
  });

  it('listens on 127.0.0.1 only and holds no connection to any other address', async () => {
    const client = new MongoClient(server.uri);
    try {
      await client.db().collection('tooling').countDocuments({});
      const sockets = socketsOf(server.pid as number);
      assert.ok(
        sockets.some((s) => s.local === `127.0.0.1:${server.port}` && s.remote === '0.0.0.0:0'),
        'its listener',
      );
      for (const socket of sockets) {
        assert.match(socket.local, /^127\.0\.0\.1:/, `a socket bound to ${socket.local}`);
        assert.match(socket.remote, /^(127\.0\.0\.1:\d+|0\.0\.0\.0:0)$/, `a socket to ${socket.remote}`);
      }
    } finally {
      await client.close();
    }
  });

  it('keeps its data across a crash and a restart on the same port', async () => {
    await server.kill();
    await server.restart();
    const client = new MongoClient(server.uri);
    try {
      assert.deepEqual(
        await client
          .db()
          .collection('tooling')
          .findOne({ _id: 'a' as never }),
        { _id: 'a', n: 1 },
      );
    } finally {
      await client.close();
    }
  });

  const refused: Array<[string, string]> = [
    ['every interface', '0.0.0.0:0'],
    ['a private address', '10.0.0.1:0'],
    ['a host name', 'localhost:0'],
  ];
  for (const [label, address] of refused) {
    it(`refuses to listen on ${label} (${address})`, () => {
      const result = spawnSync(
        ferretdbBinary(),
        [`-listen-addr=${address}`, '-sqlite-url=file:/nonexistent/'],
        {
          encoding: 'utf8',
          timeout: 10_000,
        },
      );
      assert.equal(result.status, 2);
      assert.match(result.stderr, /loopback/);
    });
  }
});
