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

// No forceExit: it ends each file's process as soon as its last test is done, cutting off the part
// of its report still buffered (the results go missing, the run still passes). A file that leaves
// a handle open is ended by scripts/lib/file-guard.mjs instead, once its report is out.
const stream = run({ files, concurrency });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.compose(spec).pipe(process.stdout);
