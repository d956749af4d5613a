// Requests per second of an ES256-protected Express 5 route: coatcheck's jwt() (with and without
// its verified-token cache) against express-jwt (PEM string as in its README, and KeyObject) and a
// bare jose jwtVerify middleware, in one run. Run alone with:
//   node --conditions=coatcheck-source --import tsx packages/jwt/bench/route-es256.bench.ts
// BENCH_ROUNDS (default 3) × BENCH_SECONDS (default 1.25) per contestant: about 35–50 s.
import { runRouteBench } from './servers/route-runner.js';

await runRouteBench('ES256');
