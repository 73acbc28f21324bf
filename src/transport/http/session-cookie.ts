/**
 * Browser sessions for a token-protected API: `POST /api/session` with the bearer token sets an HttpOnly,
 * SameSite=Strict cookie carrying an expiry signed with a key made at start (a restart signs the user out). `<img>`,
 * MJPEG and EventSource cannot send an Authorization header; the cookie goes with them, and SameSite=Strict keeps
 * it off every request another site starts. The token itself never reaches the page's storage.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_TTL_S = 12 * 3600;

export class SessionCookies {
  private readonly key = randomBytes(32);

  constructor(
    /** Cookies are not scoped by port: two daemons on one host must not read each other's. */
    private readonly port: number,
    private readonly ttlS = SESSION_TTL_S,
  ) {}

  get name(): string {
    return `edgerun_session_${this.port}`;
  }

  /** A Set-Cookie value for a new session. */
  issue(now = Date.now()): string {
    const exp = Math.floor(now / 1000) + this.ttlS;
    return `${this.name}=${exp}.${this.sign(exp)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${this.ttlS}`;
  }

  /** A Set-Cookie value that ends the session. */
  clear(): string {
    return `${this.name}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  valid(req: IncomingMessage, now = Date.now()): boolean {
    const value = cookie(req.headers.cookie, this.name);
    const m = value ? /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
    if (!m) return false;
    const exp = Number(m[1]);
    if (exp * 1000 <= now) return false;
    const given = Buffer.from(m[2]!);
    const expected = Buffer.from(this.sign(exp));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(exp: number): string {
    return createHmac('sha256', this.key).update(`edgerun-session:${exp}`).digest('base64url');
  }
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
