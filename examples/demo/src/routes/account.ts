import { type Request, type Response, Router } from 'express';
import { html, type SafeHtml } from '../html/escape.js';
import {
  normalizeUsername,
  type SignupProblems,
  signupProblems,
  type User,
  type UserDirectory,
} from '../users.js';
import { csrfField, flash, localsOf, sendPage } from '../web/layout.js';
import { localPath } from '../web/paths.js';

function field(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 100) : '';
}

function credentialsForm(
  req: Request,
  kind: 'login' | 'signup',
  values: { username: string; next: string },
  problems: SignupProblems = {},
): SafeHtml {
  const signup = kind === 'signup';
  const problem = (name: keyof SignupProblems) =>
    problems[name] && html`<span class="problem" id="${name}-problem">${problems[name]}</span>`;
  return html`<form method="post" action="/${kind}" class="card narrow">
  ${csrfField(req)}
  <input type="hidden" name="next" value="${values.next}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required minlength="3" maxlength="32"
    value="${values.username}"${problems.username && html` aria-describedby="username-problem" aria-invalid="true"`}>
  ${problem('username')}
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required minlength="${signup ? 8 : 1}" maxlength="200"
    autocomplete="${signup ? 'new-password' : 'current-password'}"${problems.password && html` aria-describedby="password-problem" aria-invalid="true"`}>
  ${problem('password')}
  <button type="submit">${signup ? 'Create account' : 'Log in'}</button>
  <p class="muted">${
    signup
      ? html`Already have an account? <a href="/login">Log in</a>.`
      : html`New here? <a href="/signup">Create an account</a>. Your cart comes with you.`
  }</p>
</form>`;
}

/**
 * Starts a signed-in session. `rotate()` gives the session a new ID and keeps its data, so the cart
 * survives while an ID someone planted or saw before login becomes worthless. The CSRF secret is
 * dropped with it: a new login gets a new token.
 */
async function logIn(req: Request, user: User): Promise<void> {
  await req.session.rotate();
  delete req.session.csrfSecret;
  req.session.userId = user.id;
  req.session.device = { userAgent: (req.get('user-agent') ?? '').slice(0, 300), ip: req.ip ?? '' };
}

/** Sign up, log in, log out. */
export function accountRoutes(users: UserDirectory): Router {
  const router = Router();

  router.get('/signup', (req, res) => {
    sendPage(req, res, {
      title: 'Create an account',
      body: credentialsForm(req, 'signup', { username: '', next: localPath(req.query.next) }),
    });
  });

  router.post('/signup', async (req, res) => {
    const username = normalizeUsername(req.body?.username);
    const password: unknown = req.body?.password;
    const next = localPath(req.body?.next);
    const problems = signupProblems(username, password);
    const user =
      Object.keys(problems).length === 0 ? await users.create(username, password as string) : undefined;
    if (!user) {
      if (Object.keys(problems).length === 0) problems.username = 'That username is taken; choose another.';
      sendPage(req, res, {
        status: 400,
        title: 'Create an account',
        body: credentialsForm(req, 'signup', { username: field(req.body?.username), next }, problems),
      });
      return;
    }
    await logIn(req, user);
    flash(req, 'success', `Welcome, ${user.username}. Your account is ready.`);
    res.redirect(303, next);
  });

  router.get('/login', (req, res) => {
    const { user } = localsOf(res);
    sendPage(req, res, {
      title: 'Log in',
      body: html`${user && html`<p class="flash info">You are signed in as ${user.username}. Logging in again switches accounts.</p>`}
${credentialsForm(req, 'login', { username: '', next: localPath(req.query.next) })}`,
    });
  });

  router.post('/login', async (req: Request, res: Response) => {
    const username = field(req.body?.username);
    const next = localPath(req.body?.next);
    const user = await users.authenticate(username, req.body?.password);
    if (!user) {
      // The same words whether the username exists or not: the form must not reveal who has an account.
      flash(req, 'error', 'That username and password do not match an account.');
      sendPage(req, res, {
        status: 400,
        title: 'Log in',
        body: credentialsForm(req, 'login', { username, next }),
      });
      return;
    }
    await logIn(req, user);
    flash(req, 'success', `Welcome back, ${user.username}.`);
    res.redirect(303, next);
  });

  router.post('/logout', async (req, res) => {
    // regenerate(), not destroy(): the old session is deleted, and a fresh one carries the message.
    await req.session.regenerate();
    flash(req, 'info', 'You are logged out.');
    res.redirect(303, '/');
  });

  return router;
}
