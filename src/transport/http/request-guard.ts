/**
 * Browser-facing checks of the local API, before any route runs:
 * - state-changing requests (anything but GET/HEAD) from another origin are refused: a page from another site, or
 *   another port on this host, open in the user's browser must not swap a model through the loopback API. Browsers
 *   say where a request comes from (`Sec-Fetch-Site`, `Origin`); clients that are not browsers (curl, the CLI) send
 *   neither and are not affected.
 * - a server bound to loopback answers only requests addressed to a loopback name (`Host`), so a DNS-rebinding page
 *   (evil.example resolving to 127.0.0.1) cannot read or drive it as its own origin.
 * No CORS headers are ever sent: cross-origin pages cannot read answers either.
 */
import type { IncomingMessage } from 'node:http';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

export function isStateChanging(method: string | undefined): boolean {
  return !SAFE_METHODS.has((method ?? 'GET').toUpperCase());
}

/** Why a state-changing request is refused as cross-site, or undefined when it may proceed. */
export function crossSiteRefusal(req: IncomingMessage): string | undefined {
  if (!isStateChanging(req.method)) return undefined;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    return `refused a ${req.method} from another origin (Sec-Fetch-Site: ${site}): state-changing requests must come from the daemon's own pages or a non-browser client`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const host = req.headers.host ?? '';
    let originHost: string | undefined;
    try {
      originHost = origin === 'null' ? undefined : new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (originHost === undefined || originHost.toLowerCase() !== host.toLowerCase()) {
      return `refused a ${req.method} from origin ${origin} (this is ${host || 'an unnamed host'}): state-changing requests must come from the daemon's own pages or a non-browser client`;
    }
  }
  return undefined;
}

/** On a loopback bind: why the Host header is refused (not a loopback name), or undefined. */
export function hostRefusal(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (host === undefined || LOOPBACK_HOST.test(host)) return undefined;
  return `refused a request for host "${host}": this daemon listens on loopback and answers only localhost, 127.0.0.1 or [::1] (set http.host and http.token to serve other names)`;
}
