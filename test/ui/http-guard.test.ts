// The HTTP server's browser-facing guards on a real node:http server: cross-site state changes refused, loopback
// binds answering loopback names only, the token as a bearer header or a signed HttpOnly SameSite=Strict cookie.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/transport/http/http-server.js';
import { registerSessionRoutes } from '../../src/transport/http/session-routes.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so Host, Origin and Sec-Fetch-Site are exactly what a browser (or an attacker's page) would send. */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const TOKEN = 'a-token-of-sixteen-or-more';
let open: HttpServer;
let locked: HttpServer;
let openPort: number;
let lockedPort: number;
let swaps = 0;
beforeAll(async () => {
  const make = (token?: string): HttpServer => {
    const http = new HttpServer({ host: '127.0.0.1', port: 0, maxBodyBytes: 1024, ...(token ? { token } : {}) });
    http.route('GET', '/api/thing', () => ({ ok: true }));
    http.route('POST', '/api/swap', () => ({ swapped: ++swaps }));
    registerSessionRoutes(http);
    return http;
  };
  open = make();
  locked = make(TOKEN);
  openPort = (await open.start()).port;
  lockedPort = (await locked.start()).port;
});
afterAll(async () => {
  await open?.stop();
  await locked?.stop();
});

describe('cross-site requests', () => {
  it('refuses a POST from a page on another port or site, names why, and sends no CORS header', async () => {
    const before = swaps;
    for (const headers of [
      { origin: `http://127.0.0.1:${openPort + 1}`, 'sec-fetch-site': 'same-site' },
      { origin: 'http://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ] as Record<string, string>[]) {
      const a = await send(openPort, 'POST', '/api/swap', headers);
      expect(a.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(a.body)).toMatchObject({ code: 'CROSS_SITE' });
      expect(Object.keys(a.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
    }
    expect(swaps).toBe(before);
  });

  it("lets the daemon's own pages and non-browser clients through", async () => {
    const same = await send(openPort, 'POST', '/api/swap', { origin: `http://127.0.0.1:${openPort}`, 'sec-fetch-site': 'same-origin' });
    expect(same.status).toBe(200);
    const curl = await send(openPort, 'POST', '/api/swap');
    expect(curl.status).toBe(200);
    // A cross-site GET (an <img> on another site) is not state-changing; it is not refused here (the token guards reads).
    expect((await send(openPort, 'GET', '/api/thing', { 'sec-fetch-site': 'cross-site' })).status).toBe(200);
  });

  it('a loopback bind answers loopback host names only (DNS rebinding)', async () => {
    const a = await send(openPort, 'GET', '/api/thing', { host: `evil.example:${openPort}` });
    expect(a.status).toBe(403);
    expect(JSON.parse(a.body).error).toMatch(/host "evil\.example:\d+".*loopback/);
    for (const host of [`localhost:${openPort}`, `[::1]:${openPort}`, `127.0.0.1:${openPort}`]) {
      expect((await send(openPort, 'GET', '/api/thing', { host })).status, host).toBe(200);
    }
  });
});

describe('the token', () => {
  it('401 without it; the bearer header works; GET /api/session says a token is needed', async () => {
    expect((await send(lockedPort, 'GET', '/api/thing')).status).toBe(401);
    expect((await send(lockedPort, 'GET', '/api/thing', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await send(lockedPort, 'GET', '/api/thing', { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect(JSON.parse((await send(lockedPort, 'GET', '/api/session')).body)).toEqual({ tokenRequired: true, authorized: false });
    expect(JSON.parse((await send(openPort, 'GET', '/api/session')).body)).toEqual({ tokenRequired: false, authorized: true });
  });

  it('POST /api/session with the token sets an HttpOnly SameSite=Strict cookie that authorizes; a forged or cleared one does not', async () => {
    expect((await send(lockedPort, 'POST', '/api/session')).status).toBe(401);
    const login = await send(lockedPort, 'POST', '/api/session', { authorization: `Bearer ${TOKEN}` });
    expect(login.status).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^edgerun_session_${lockedPort}=\\d+\\.[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/; Max-Age=\\d+`));
    const cookie = setCookie.split(';')[0]!;
    expect((await send(lockedPort, 'GET', '/api/thing', { cookie })).status).toBe(200);
    const [name, value] = cookie.split('=') as [string, string];
    const [exp, mac] = value.split('.') as [string, string];
    const forged = `${name}=${Number(exp) + 1000}.${mac}`;
    expect((await send(lockedPort, 'GET', '/api/thing', { cookie: forged })).status).toBe(401);
    // The cookie does not get a cross-site POST through either.
    expect((await send(lockedPort, 'POST', '/api/swap', { cookie, origin: 'http://evil.example' })).status).toBe(403);
    const logout = await send(lockedPort, 'DELETE', '/api/session', { cookie });
    expect(String(logout.headers['set-cookie'])).toMatch(/Max-Age=0/);
  });
});
