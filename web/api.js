// The JSON API from the browser. A development login keeps its token in sessionStorage and sends
// it as a Bearer token; a sign-in through the identity provider is the httpOnly session cookie,
// which the browser sends by itself. Every write carries X-Requested-With (required for the cookie).

const TOKEN_KEY = 'gd.devToken';

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code ?? 'HTTP_' + status;
    this.details = Array.isArray(error?.details) ? error.details : [];
  }
}

export function devToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export async function api(method, url, body) {
  const headers = { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
  const token = devToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error);
  return data;
}

export const get = (url) => api('GET', url);

/** Every item of a paged list (cursor/limit): follows nextCursor to the last page. */
export async function getAll(url) {
  const items = [];
  const sep = url.includes('?') ? '&' : '?';
  let cursor = null;
  do {
    const page = await get(`${url}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}
export const post = (url, body = {}) => api('POST', url, body);

export async function devLogin(login) {
  sessionStorage.removeItem(TOKEN_KEY);
  const { token } = await post('/api/dev/tokens', { login });
  sessionStorage.setItem(TOKEN_KEY, token);
}

export async function logout() {
  try {
    await post('/api/auth/logout');
  } finally {
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

/** Who is signed in, or null. */
export async function session() {
  try {
    return (await get('/api/auth/session')).user;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.code === 'INVALID_TOKEN')) {
      sessionStorage.removeItem(TOKEN_KEY);
      return null;
    }
    throw err;
  }
}
