import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The hidden fields of the first form posting to `action` on a page, and where it posts. */
export function formFields(body: string, action: RegExp): { url: string; fields: URLSearchParams } {
  for (const m of body.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    if (!action.test(m[1])) continue;
    const fields = new URLSearchParams();
    for (const f of m[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(f[1], f[2]);
    return { url: m[1].replace(/&amp;/g, '&'), fields };
  }
  throw new Error(`no form posting to ${action}`);
}

/**
 * A person at the operator console over fastify.inject: signs in with the admin token (the
 * session cookie is what it answers), reads pages and sends forms with that cookie. Given `t`,
 * each sign-in is asserted to succeed.
 */
export function consoleClient(app: FastifyInstance, token: string, t?: Test) {
  return {
    async signIn(user: string): Promise<string> {
      const login = await app.inject({
        method: 'POST',
        url: '/admin/ui/login',
        headers: FORM,
        payload: new URLSearchParams({ user, token }).toString(),
      });
      t?.equal(login.statusCode, 303, `${user} signed in`);
      return String(login.headers['set-cookie']).split(';')[0];
    },
    get: (url: string, cookie: string) => app.inject({ method: 'GET', url, headers: { cookie } }),
    post: (url: string, cookie: string, fields: URLSearchParams, referer?: string) =>
      app.inject({
        method: 'POST',
        url,
        headers: { cookie, ...FORM, ...(referer ? { referer } : {}) },
        payload: fields.toString(),
      }),
  };
}
