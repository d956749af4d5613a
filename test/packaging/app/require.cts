// A CommonJS TypeScript file in the installed app, typechecked with `module: nodenext` on the current
// TypeScript (require of ESM is typed from TypeScript 5.8): `require('coatcheck')` is the middleware
// with every named export on it, as at run time.
import session = require('coatcheck');
import express = require('express');

const app = express();
app.use(session({ secret: 'the packaging test: a secret of at least thirty-two bytes' }));
app.use(session.csrf());
app.use(session.cookies());
app.get('/', (req, res) => {
  res.send(req.sessionID);
});
new session.MemoryStore({ max: 10 });
// @ts-expect-error: max is a number
new session.MemoryStore({ max: 'ten' });
// @ts-expect-error: secret is required
session({});
