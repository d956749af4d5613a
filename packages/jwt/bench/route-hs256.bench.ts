// Requests per second of an HS256-protected Express 5 route: coatcheck's jwt() (with and without
// its verified-token cache) against express-jwt (string secret as in its README, and KeyObject)
// and a bare jose jwtVerify middleware, in one run. Run alone with:
//   node --conditions=coatcheck-source --import tsx packages/jwt/bench/route-hs256.bench.ts
// BENCH_ROUNDS (default 3) × BENCH_SECONDS (default 1.25) per contestant: about 35–50 s.
import { runRouteBench } from './servers/route-runner.js';

await runRouteBench('HS256');
