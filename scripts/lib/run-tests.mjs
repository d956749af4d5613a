// The test runner scripts/test.mjs starts: Node's own runner, through its run() API rather than
// `node --test`, because `node --test` sorts the files it is given by path and run() starts them in
// the order given (see scripts/test.mjs for the order). Each file still runs in a process of its
// own, with this process's flags (the coatcheck-source condition and tsx), and the spec reporter
// prints what `node --test --test-reporter=spec` would.
//
//   node --conditions=coatcheck-source --import tsx scripts/lib/run-tests.mjs [--concurrency=N] <file>…
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const args = process.argv.slice(2);
const setting = args.find((arg) => arg.startsWith('--concurrency='));
const files = args.filter((arg) => arg !== setting);
// Without a setting, what `node --test` does: one file fewer than the CPUs at once.
const concurrency = setting ? Number(setting.slice('--concurrency='.length)) : true;

// forceExit: a file whose tests have all finished exits even if it left a handle open. A test of
// the Redis command counts once left a MONITOR connection open after its before hook failed, and
// the whole run then waited on that file for ever instead of reporting the failure.
const stream = run({ files, concurrency, forceExit: true });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.compose(spec).pipe(process.stdout);
