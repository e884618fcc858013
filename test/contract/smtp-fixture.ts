import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** One message as the test SMTP server received it. */
export interface ReceivedMail {
  readonly envelopeFrom: string;
  readonly envelopeTo: string[];
  /** Whether the connection it came over was encrypted (TLS from the start or after STARTTLS). */
  readonly secure: boolean;
  readonly user: string | undefined;
  readonly parsed: ParsedMail;
}

export interface TestSmtpServer {
  readonly port: number;
  readonly received: ReceivedMail[];
  /** How many AUTH attempts the server saw (accepted or refused). */
  readonly authAttempts: number;
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** When set, AUTH is required and only these credentials pass. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** Offer STARTTLS (with `tls`'s certificate); default false. */
  readonly starttls?: boolean;
  /** TLS from the first byte (port-465 style); needs `tls`. */
  readonly secure?: boolean;
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 and a free port, keeping what arrives, parsed. */
export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  let authAttempts = 0;
  const serverOptions: SMTPServerOptions = {
    logger: false,
    secure: options.secure ?? false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    disabledCommands: options.starttls || options.secure ? [] : ['STARTTLS'],
    authOptional: !options.credentials,
    // Plain-text AUTH is what a test on loopback can do without TLS; production servers insist on TLS.
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      authAttempts += 1;
      const wanted = options.credentials;
      if (wanted && auth.username === wanted.username && auth.password === wanted.password) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          received.push({
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
            parsed,
          });
          callback();
        },
        (error: unknown) => callback(error as Error),
      );
    },
  };
  const server = new SMTPServer(serverOptions);
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('the test SMTP server has no port'));
    });
  });
  return {
    port,
    received,
    get authAttempts() {
      return authAttempts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A TCP server that accepts connections and never says a word: an SMTP server that hangs. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A self-signed certificate for 127.0.0.1 made with the openssl CLI, or the reason there is
 * none (the TLS tests then skip and say so).
 */
export function selfSignedCertificate(): { key: string; cert: string } | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), 'marg-smtp-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore', timeout: 10_000 },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch (error) {
    return { skip: `cannot make a test certificate with openssl (${(error as Error).message}): TLS tests skipped` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
