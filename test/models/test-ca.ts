/**
 * A private CA and a server certificate for 127.0.0.1 signed by it, made with the real `openssl` command in a temp
 * directory: what a LAN mirror with an in-house CA presents. The server sends only its own certificate (no chain),
 * as such mirrors often do, so a client without the CA fails with "unable to verify the first certificate".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM) file: what --ca / models.ca take. */
  caFile: string;
  /** A second, unrelated CA: trusting it must not help. */
  otherCaFile: string;
  /** The CA's private key file: not a certificate. */
  caKeyFile: string;
  server: { key: string; cert: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2',
      '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-ca-'));
  makeCa(dir, 'edgerun-test-ca');
  makeCa(dir, 'other-ca');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(
    path.join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'edgerun-test-ca.pem', '-CAkey', 'edgerun-test-ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'],
    dir,
  );
  return {
    dir,
    caFile: path.join(dir, 'edgerun-test-ca.pem'),
    otherCaFile: path.join(dir, 'other-ca.pem'),
    caKeyFile: path.join(dir, 'edgerun-test-ca.key'),
    server: { key: readFileSync(path.join(dir, 'server.key'), 'utf8'), cert: readFileSync(path.join(dir, 'server.pem'), 'utf8') },
  };
}
