// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl
// command line into a temporary directory, for the test API server's HTTPS
// mode; and a private CA with server and client certificates for its
// client-certificate mode. Return undefined when openssl is not installed.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSigned {
  cert: string;
  key: string;
}

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

export async function selfSignedCert(): Promise<SelfSigned | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-test-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    const code = await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    if (code !== 0) return undefined;
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A private CA, a server certificate for 127.0.0.1 and a client certificate, all PEM. */
export interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Subject CN of the client certificate. */
  clientName: string;
}

/**
 * A CA and two certificates it signs: the server's (subjectAltName
 * 127.0.0.1 and localhost) and a client's (extendedKeyUsage clientAuth),
 * as the API server and a kubelet-style client hold them. Undefined when
 * openssl is missing or fails.
 */
export async function clientCertPki(clientName = 'system:node:node-1'): Promise<Pki | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-test-pki-'));
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    const ok = async (args: string[]) => (await run('openssl', args)) === 0;
    if (
      !(await ok([
        'req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=test-ca',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ]))
    ) {
      return undefined;
    }
    const leaf = async (name: string, subject: string, ext: string): Promise<boolean> => {
      await writeFile(f(`${name}.ext`), ext);
      return (
        (await ok(['req', '-new', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subject])) &&
        (await ok([
          'x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-set_serial', String(Date.now()),
          '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`),
        ]))
      );
    };
    if (!(await leaf('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'))) return undefined;
    if (!(await leaf('client', `/O=system:nodes/CN=${clientName}`, 'extendedKeyUsage=clientAuth\n'))) return undefined;
    const read = (name: string) => readFile(f(name), 'utf8');
    return {
      ca: await read('ca.crt'),
      serverCert: await read('server.crt'),
      serverKey: await read('server.key'),
      clientCert: await read('client.crt'),
      clientKey: await read('client.key'),
      clientName,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
