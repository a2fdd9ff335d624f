/**
 * `dealwatch demo --keep` leaves the server up; what it prints must open: the API and the review
 * page answer with the token it names (DEALWATCH_API_TOKENS when set, else one it made and printed).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

async function keepDemo(extraEnv: Record<string, string>): Promise<{ text: string; stop(): Promise<number | null> }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DEALWATCH_DEMO_DEALS: '30',
    LOG_LEVEL: 'error',
    ...extraEnv,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'demo', '--keep', '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not keep running:\n${text.slice(-2000)}`)), 150_000);
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString();
      if (/config {9}\S+\n/.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`demo exited (${code}):\n${text.slice(-2000)}`)));
  });
  return {
    text,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const field = (text: string, name: string) => new RegExp(`^  ${name} +(\\S+)`, 'm').exec(text)?.[1];

describe('dealwatch demo --keep', () => {
  it('makes up a token when DEALWATCH_API_TOKENS is unset, prints it with the URLs, and they open with it', async () => {
    const demo = await keepDemo({});
    try {
      const token = field(demo.text, 'API token')!;
      const page = field(demo.text, 'review page')!;
      expect(token).toMatch(/^[0-9a-f]{48}$/);
      const base = page.replace(/\/review\/hs$/, '');
      // The web app's sign-in form, at the printed address.
      expect(field(demo.text, 'web app')).toBe(`${base}/login`);
      const signIn = await fetch(`${base}/login`);
      expect(signIn.status).toBe(200);
      expect(await signIn.text()).toContain('name="token"');
      expect((await fetch(`${base}/api/v1/connections`)).status).toBe(401);
      const api = await fetch(`${base}/api/v1/connections`, { headers: { authorization: `Bearer ${token}` } });
      expect(api.status).toBe(200);
      const basic = Buffer.from(`manager:${token}`).toString('base64');
      const review = await fetch(page, { headers: { authorization: `Basic ${basic}` } });
      expect(review.status).toBe(200);
      expect(await review.text()).toContain('<html');
    } finally {
      expect(await demo.stop()).toBe(0);
    }
  }, 180_000);

  it('honours DEALWATCH_API_TOKENS and does not print it', async () => {
    const mine = 'operator-chosen-demo-token-1234';
    const demo = await keepDemo({ DEALWATCH_API_TOKENS: `${mine},second-token-5678` });
    try {
      expect(demo.text).not.toContain(mine);
      expect(field(demo.text, 'API token')).toBe('(one');
      const page = field(demo.text, 'review page')!;
      const base = page.replace(/\/review\/hs$/, '');
      // The web app's sign-in form, at the printed address.
      expect(field(demo.text, 'web app')).toBe(`${base}/login`);
      const signIn = await fetch(`${base}/login`);
      expect(signIn.status).toBe(200);
      expect(await signIn.text()).toContain('name="token"');
      const api = await fetch(`${base}/api/v1/connections`, { headers: { authorization: `Bearer ${mine}` } });
      expect(api.status).toBe(200);
    } finally {
      expect(await demo.stop()).toBe(0);
    }
  }, 180_000);
});
