/**
 * GET    /api/session   public: whether a token is required and whether this request is signed in
 * POST   /api/session   with `Authorization: Bearer <http.token>`: sets the session cookie (session-cookie.ts)
 * DELETE /api/session   ends it
 */
import { HttpError, type HttpServer } from './http-server.js';

export function registerSessionRoutes(http: HttpServer): void {
  http.route('GET', '/api/session', ({ req }) => ({ tokenRequired: http.tokenRequired, authorized: http.isAuthorized(req) }), { public: true });

  http.route(
    'POST',
    '/api/session',
    ({ req, res }) => {
      const sessions = http.sessions;
      if (!sessions) return { tokenRequired: false, authorized: true };
      if (!http.hasBearer(req)) throw new HttpError(401, 'wrong token: send Authorization: Bearer <http.token>', 'UNAUTHORIZED');
      res.setHeader('set-cookie', sessions.issue());
      return { tokenRequired: true, authorized: true };
    },
    { public: true },
  );

  http.route(
    'DELETE',
    '/api/session',
    ({ res }) => {
      if (http.sessions) res.setHeader('set-cookie', http.sessions.clear());
      return { tokenRequired: http.tokenRequired, authorized: !http.tokenRequired };
    },
    { public: true },
  );
}
