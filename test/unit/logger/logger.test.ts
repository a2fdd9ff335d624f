import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, REDACTED } from '../../../src/logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const text = () => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const SECRET = 'sk-live-7f3a9c1e5b';

describe('createLogger', () => {
  it('writes JSON lines with the module binding of a child', () => {
    const out = capture();
    createLogger({ destination: out.stream }).child({ module: 'sync' }).info({ deals: 3 }, 'page committed');
    expect(out.lines()).toEqual([expect.objectContaining({ level: 30, module: 'sync', deals: 3, msg: 'page committed' })]);
  });

  it('never writes a secret, whatever key or depth it is logged under', () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, level: 'debug' });
    logger.info({ accessToken: SECRET }, 'top level');
    logger.info({ connection: { auth: { type: 'refreshToken', clientSecret: SECRET, refreshToken: SECRET } } }, 'nested');
    logger.info({ req: { headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET } } }, 'headers');
    logger.child({ module: 'x' }).debug({ a: { b: { c: { privateKey: SECRET, password: SECRET } } } }, 'deep');
    logger.warn({ settings: { webhookSecret: SECRET, outboundMessageToken: SECRET, token: SECRET } }, 'more');

    expect(out.text()).not.toContain(SECRET);
    const [top, nested, headers, deep] = out.lines();
    expect(top?.accessToken).toBe(REDACTED);
    expect(nested).toMatchObject({ connection: { auth: { type: 'refreshToken', clientSecret: REDACTED } } });
    expect(headers).toMatchObject({ req: { headers: { authorization: REDACTED } } });
    expect(deep).toMatchObject({ module: 'x', a: { b: { c: { privateKey: REDACTED, password: REDACTED } } } });
  });

  it('keeps the secret out of the pretty output too', async () => {
    const out = capture();
    createLogger({ destination: out.stream, pretty: true }).info({ auth: { accessToken: SECRET } }, 'pretty line');
    // pino-pretty formats through a stream: wait for the line rather than for a fixed time.
    await vi.waitFor(() => expect(out.text()).toContain('pretty line'));
    expect(out.text()).toContain(REDACTED);
    expect(out.text()).not.toContain(SECRET);
  });

  it('honours the level', () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, level: 'warn' });
    logger.info('hidden');
    logger.warn('shown');
    expect(out.lines().map((line) => line.msg)).toEqual(['shown']);
  });
});
