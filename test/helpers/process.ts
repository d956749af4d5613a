/** What this process holds: heap after a full collection, open file descriptors, TCP connections. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setImmediate as tick } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

// The test runner starts Node without --expose-gc; this turns it on for this process.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (options?: { type: 'major' }) => void;

/** Heap in use after full collections, in bytes. */
export async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

/** How many file descriptors this process has open. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function socketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match) inodes.add(match[1] as string);
    } catch {}
  }
  return inodes;
}

/** Established TCP connections this process holds to `port` on any address (IPv4 and IPv6). */
export function connectionsTo(port: number): number {
  const mine = socketInodes();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st … inode (field 9)
      const remote = fields[2];
      const state = fields[3];
      const inode = fields[9];
      if (remote?.endsWith(`:${hex}`) && state === '01' && inode && mine.has(inode)) count++;
    }
  }
  return count;
}

/** Mebibytes, one decimal, for messages. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
