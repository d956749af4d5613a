/**
 * Runs the documentation's code blocks, one module after another, in a process of their own (so
 * servers, pools and timers a block leaves open do not keep the test runner waiting), from an empty
 * working folder (so `data/sessions.db` lands there). Prints one JSON line of results and exits.
 *
 *   node --conditions=coatcheck-source --import tsx test/docs/run-blocks.ts <manifest.json>
 *
 * The manifest lists `{ id, path, needs }`; a block whose services do not answer is skipped, with the
 * reason (in CI it fails, as every test whose service is missing does).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SERVICES, serviceSkipReason } from '../helpers/services.js';

interface Entry {
  id: string;
  path: string;
  needs: string[];
}
export interface BlockResult {
  id: string;
  ok: boolean;
  skipped?: string;
  error?: string;
}

const manifest = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Entry[];
const results: BlockResult[] = [];
let current: BlockResult | undefined;
const late = (error: unknown) => {
  // A rejection nobody awaited, raised while (or after) a block ran: it belongs to that block.
  if (current) Object.assign(current, { ok: false, error: `unhandled: ${describe(error)}` });
};
process.on('unhandledRejection', late);
process.on('uncaughtException', late);

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function skipReason(needs: string[]): Promise<string | false> {
  for (const need of needs) {
    if (need === 'mongodb') {
      if (!process.env.MONGODB_URI) return 'MongoDB: set MONGODB_URI to run it';
      continue;
    }
    const service = SERVICES[need as keyof typeof SERVICES];
    if (!service) throw new Error(`unknown service ${need}`);
    try {
      const reason = await serviceSkipReason(service);
      if (reason) return reason;
    } catch (error) {
      return `FAIL ${describe(error)}`;
    }
  }
  return false;
}

for (const entry of manifest) {
  const result: BlockResult = { id: entry.id, ok: true };
  results.push(result);
  const skip = await skipReason(entry.needs);
  if (skip) {
    if (skip.startsWith('FAIL ')) Object.assign(result, { ok: false, error: skip.slice(5) });
    else result.skipped = skip;
    continue;
  }
  current = result;
  try {
    await import(pathToFileURL(entry.path).href);
    // Give a rejection the block started without awaiting the chance to surface here.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } catch (error) {
    Object.assign(result, { ok: false, error: describe(error) });
  }
}
current = undefined;
process.stdout.write(`\nRESULTS ${JSON.stringify(results)}\n`);
process.exit(0);
