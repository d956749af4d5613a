// Loaded into every test file's process by scripts/test.mjs (`--import`, which the runner's child
// processes inherit): a file whose process ends with status 0 before its tests have finished fails.
// Node's runner counts such a file as passed, and the tests it never reached are simply missing
// from the totals: in one of issue 11's runs, device-bound/proof.test.ts stopped after 9 of its 19
// tests and the run still passed, 10 tests short.
//
// Only in a test file's own process (the runner marks it with NODE_TEST_CONTEXT, and its script is a
// `.test.` file): servers and tools the tests start inherit the environment, and must not get a
// test harness of their own.
if (process.env.NODE_TEST_CONTEXT?.startsWith('child') && /\.test\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  const { after } = await import('node:test');
  let finished = false;
  // Registered before the file's own tests: the root's after hooks run once every test has ended.
  after(() => {
    finished = true;
  });
  process.on('exit', (code) => {
    if (finished || code !== 0) return;
    process.stderr.write(`# ${process.argv[1]}: the process ended before its tests had finished\n`);
    process.exitCode = 1;
  });
}
