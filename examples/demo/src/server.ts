// `npm start`: the demo on http://127.0.0.1:3000 (PORT, HOST, DATA_DIR, SESSION_STORE, … in config.ts).
import { startServer } from './app.js';
import { ConfigError, configFromEnv } from './config.js';

let config: ReturnType<typeof configFromEnv>;
try {
  config = configFromEnv(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`coatcheck demo: ${err.message}`);
  process.exit(1);
}

try {
  const running = await startServer(config);
  console.log(
    `coatcheck demo listening on ${running.url} (sessions in ${running.demo.storeLabel}, data in ${config.dataDir})`,
  );
  if (running.spki) {
    console.log(
      'Device-bound sessions: open it in Chromium started with\n' +
        `  --ignore-certificate-errors-spki-list=${running.spki} ` +
        '--enable-features=DeviceBoundSessions,EnableBoundSessionCredentialsSoftwareKeysForManualTesting\n' +
        '(desktop Chrome 145+ binds too, once it trusts the certificate).',
    );
  }
  const stop = (signal: NodeJS.Signals) => {
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`coatcheck demo: error while stopping on ${signal}:`, err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  if ((err as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE') {
    const other = config.port === 3000 ? 3001 : config.port + 1;
    console.error(
      `coatcheck demo: port ${config.port} on ${config.host} is in use (another demo, or another server).\n` +
        `Pick another with PORT, e.g. PORT=${other} npm start, or PORT=0 for any free port.`,
    );
  } else {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`coatcheck demo: could not start: ${message}`);
  }
  process.exit(1);
}
