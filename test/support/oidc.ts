/**
 * A real OpenID Connect provider process for tests (test/support/oidc-provider.mjs, the
 * `oidc-provider` package) and a small browser: redirects followed by hand, cookies kept per
 * host, the provider's login and consent forms submitted.
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { exportJWK, generateKeyPair, KeyLike } from 'jose';

export interface ProviderClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  grant_types?: string[];
  response_types?: string[];
}

export interface TestProvider {
  issuer: string;
  /** The provider's signing key (its JWKS publishes the public half), for crafting edge-case tokens. */
  privateKey: KeyLike;
  kid: string;
  stop(): Promise<void>;
}

export async function startOidcProvider(opts: {
  port: number;
  clients: ProviderClient[];
  accounts: Record<string, Record<string, unknown>>;
  /** Resource indicator (the audience of its JWT access tokens) → access token lifetime in seconds. */
  resources: Record<string, number>;
}): Promise<TestProvider> {
  const kid = 'test-signing-key';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'oidc-provider.mjs')], {
    env: { ...process.env, OIDC_TEST_CONFIG: JSON.stringify({ ...opts, jwks: { keys: [jwk] } }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-provider did not start within 30 s:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^ready (\S+)$/m.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-provider exited with code ${code}:\n${output}`));
    });
  });
  return {
    issuer,
    privateKey,
    kid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Cookies per host:port (paths and expiry beyond deletion are not needed by these flows). */
export class Browser {
  readonly cookies = new Map<string, Map<string, string>>();

  cookie(url: string, name: string): string | undefined {
    return this.cookies.get(new URL(url).host)?.get(name);
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    const host = new URL(url).host;
    const jar = this.cookies.get(host) ?? new Map<string, string>();
    this.cookies.set(host, jar);
    const headers: Record<string, string> = { ...init.headers };
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => {
        const [k, v] = a.trim().split('=');
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return new Date(v).getTime() < Date.now();
        return false;
      });
      if (expired) jar.delete(name);
      else jar.set(name, pair.slice(eq + 1).trim());
    }
    return res;
  }

  /**
   * Follows redirects from `url`, signing in as `login` on the provider's login form and agreeing
   * on its consent form, until a page that is neither, or a URL starting with `stopAt` (returned
   * without being requested).
   */
  async browse(url: string, login: string, stopAt?: string): Promise<{ url: string; res?: Response }> {
    for (let step = 0; step < 20; step++) {
      if (stopAt && url.startsWith(stopAt)) return { url };
      const res = await this.request(url);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).toString();
        continue;
      }
      const type = res.headers.get('content-type') ?? '';
      if (res.status === 200 && type.includes('text/html')) {
        const html = await res.text();
        const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
        const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
        if (!action || !prompt) throw new Error(`unexpected page at ${url}:\n${html.slice(0, 500)}`);
        const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt };
        const posted = await this.request(new URL(action, url).toString(), { form });
        const next = posted.headers.get('location');
        if (!next) throw new Error(`the ${prompt} form answered ${posted.status}: ${await posted.text()}`);
        url = new URL(next, url).toString();
        continue;
      }
      return { url, res };
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }
}
