// Loaded into every test file's process by scripts/test.mjs (`--import`, which the runner's child
// processes inherit). Two things Node's runner does not do for us:
//
// - A file whose process ends with status 0 before its tests have finished fails. The runner counts
//   such a file as passed, and the tests it never reached are simply missing from the totals.
// - A file whose tests have all finished but which left a handle open (a connection whose `after`
//   never ran because `before` failed) is ended LINGER_MS later (30 s: a report of hundreds of
//   results can take seconds to reach a busy runner), with a line saying so, instead of
//   keeping the whole run waiting for ever. This used to be the runner's `forceExit`, which ends
//   the process as soon as the last test is done and so cuts off whatever of its report is still
//   buffered: in one of issue 11's runs the last 10 of device-bound/proof.test.ts's 19 results were
//   lost and the run passed, 10 tests short (test/tools/file-guard.test.ts shows both).
//
// Only in a test file's own process (the runner marks it with NODE_TEST_CONTEXT, and its script is a
// `.test.` file): servers and tools the tests start inherit the environment, and must not get a
// test harness of their own.
if (process.env.NODE_TEST_CONTEXT?.startsWith('child') && /\.test\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  const LINGER_MS = Number(process.env.COATCHECK_TEST_LINGER_MS ?? 30_000);
  const { after } = await import('node:test');
  let finished = false;
  // Registered before the file's own tests: the root's after hooks run once every test has ended.
  after(() => {
    finished = true;
    // Unref'd: a process with nothing left open exits at once, as it would without this.
    setTimeout(() => {
      process.stderr.write(
        `# ${process.argv[1]}: its tests finished ${LINGER_MS} ms ago but it left a handle open; ending it\n`,
      );
      // After what is already queued on stdout, the report among it.
      process.stdout.write('', () => process.exit());
    }, LINGER_MS).unref();
  });
  process.on('exit', (code) => {
    if (finished || code !== 0) return;
    process.stderr.write(`# ${process.argv[1]}: the process ended before its tests had finished\n`);
    process.exitCode = 1;
  });
}
