// app.cjs — run with `node app.cjs`, then open http://localhost:3000
const { randomBytes } = require('node:crypto');
const { SQLiteStore } = require('@coatcheck/sqlite');
const { session, csrf } = require('coatcheck');
const express = require('express');

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(
  session({
    // At least 32 random bytes (`openssl rand -base64 32`), the same on every start. Without
    // SESSION_SECRET a random one is made, and a restart signs everybody out.
    secret: process.env.SESSION_SECRET ?? randomBytes(32).toString('base64'),
    store: new SQLiteStore({ path: 'data/sessions.db' }), // the folder and file are created
    userKey: 'userId', // index sessions by user: list devices, log out everywhere
  }),
);
app.use(csrf()); // refuses cross-site form posts: no tokens, no change to the forms

const html = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

app.get('/', (req, res) => {
  req.session.views = (req.session.views ?? 0) + 1;
  const who = req.session.userId ? `Signed in as ${html(req.session.userId)}` : 'Not signed in';
  res.send(`<p>${who}. Visits: ${req.session.views}.</p>
    <form method="post" action="/login"><input name="user" required> <button>Log in</button></form>
    <form method="post" action="/logout"><button>Log out</button></form>`);
});

app.post('/login', async (req, res) => {
  // Check the user's password here; this example lets any name in.
  await req.session.rotate(); // a new session ID, the same data: the old ID is dead at once
  req.session.userId = String(req.body.user);
  res.redirect('/');
});

app.post('/logout', async (req, res) => {
  await req.session.destroy(); // deleted on the server, cookie cleared
  res.redirect('/');
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, (error) => {
  if (error) throw error;
  console.log(`listening on http://localhost:${port}`);
});
