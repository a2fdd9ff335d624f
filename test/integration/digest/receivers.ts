/**
 * Where the digest tests receive what dealwatch sends, without leaving the machine: a real SMTP
 * server (smtp-server, with login) that parses each mail (mailparser), and an HTTP server standing
 * in for a Slack incoming webhook that records each payload and answers as the test says.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpReceiver {
  /** `smtp://user:password@127.0.0.1:port`. */
  url: string;
  password: string;
  mails: ParsedMail[];
  close(): Promise<void>;
}

/** An SMTP server on loopback that requires the login in its URL and keeps every mail it accepts. */
export async function smtpReceiver(): Promise<SmtpReceiver> {
  const user = 'digest-sender';
  const password = `smtp-pw-${Math.random().toString(36).slice(2)}`;
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    // Plain connection on loopback: login without TLS is this test server's choice, not the client's.
    hideSTARTTLS: true,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) callback(null, { user });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          mails.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://${user}:${password}@127.0.0.1:${port}`,
    password,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface SlackReceiver {
  /** The webhook URL (its path is the secret part, as Slack's are). */
  url: string;
  secretPath: string;
  /** Every request's JSON body, in order, with the status it was answered with (null: left hanging). */
  posts: {
    body: { text?: string; blocks?: { type: string; text?: { text: string }; elements?: { text: string }[] }[] };
    status: number | null;
  }[];
  /** How the next requests are answered, one entry each; then 200 `ok`. `hang` never answers. */
  script: (number | 'hang')[];
  close(): Promise<void>;
}

export async function slackReceiver(): Promise<SlackReceiver> {
  const secretPath = `/services/T000/B000/${Math.random().toString(36).slice(2)}`;
  const hanging: ServerResponse[] = [];
  const receiver: SlackReceiver = { url: '', secretPath, posts: [], script: [], close: async () => undefined };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', () => {
      const next = receiver.script.shift() ?? 200;
      const body = JSON.parse(raw) as SlackReceiver['posts'][number]['body'];
      if (request.url !== secretPath) {
        receiver.posts.push({ body, status: 404 });
        response.writeHead(404).end('no_service');
      } else if (next === 'hang') {
        receiver.posts.push({ body, status: null });
        hanging.push(response);
      } else {
        receiver.posts.push({ body, status: next });
        response.writeHead(next, { 'content-type': 'text/plain' }).end(next === 200 ? 'ok' : 'internal_error');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}${secretPath}`;
  receiver.close = async () => {
    for (const response of hanging) response.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}
