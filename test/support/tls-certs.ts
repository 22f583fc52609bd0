import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** PEM files of a throwaway PKI for a TLS test: paths and contents. */
export interface TestPki {
  readonly dir: string;
  /** The CA that signed the server and client certificates. */
  readonly ca: string;
  /** Another CA, which signed nothing the broker presents: verification against it fails. */
  readonly otherCa: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Paths, for rabbitmq.conf. */
  readonly paths: { readonly ca: string; readonly serverCert: string; readonly serverKey: string };
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  await execFileAsync('openssl', args, { cwd: dir, timeout: 30_000 });
}

/**
 * Generates, with the openssl CLI, a test CA, a server certificate for `localhost`, `broker.test` and
 * 127.0.0.1, a client certificate with CN `clientCn` (the user EXTERNAL authentication logs in as), and
 * an unrelated second CA. About a second; nothing here is ever trusted outside the test.
 */
export async function generateTestPki(dir: string, clientCn = 'guest'): Promise<TestPki> {
  await mkdir(dir, { recursive: true });
  const days = ['-days', '2'];
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', ...days, '-subj', '/CN=ntm-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem']);
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', ...days, '-subj', '/CN=ntm-other-ca', '-keyout', 'other-ca.key', '-out', 'other-ca.pem']);
  await writeFile(
    `${dir}/server.ext`,
    'subjectAltName=DNS:localhost,DNS:broker.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  await writeFile(`${dir}/client.ext`, 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', clientCn],
  ] as const) {
    await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    await openssl(dir, [
      'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', ...days,
      '-extfile', `${name}.ext`, '-out', `${name}.pem`,
    ]);
  }
  const read = (file: string) => readFile(`${dir}/${file}`, 'utf8');
  return {
    dir,
    ca: await read('ca.pem'),
    otherCa: await read('other-ca.pem'),
    clientCert: await read('client.pem'),
    clientKey: await read('client.key'),
    paths: { ca: `${dir}/ca.pem`, serverCert: `${dir}/server.pem`, serverKey: `${dir}/server.key` },
  };
}
