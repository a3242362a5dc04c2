// The admin HTTP API as the dashboard calls it: every request carries the key as a Bearer token,
// and every failure becomes an ApiError (status 0 when the gateway could not be reached at all).

/** A failed call: the HTTP status (0: no answer), the API's error code and message. */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field ?? null;
  }

  /** The key was refused (401) or lacks the admin scope (403). */
  get auth() {
    return this.status === 401 || this.status === 403;
  }
}

/** How long a call may take before it counts as failed: a hung gateway must not look alive. */
export const TIMEOUT_MS = 10_000;

/**
 * A client holding one admin key. `onAuthLost(error)` runs when any call is answered 401 or 403:
 * the key was revoked or never was an admin key, and the dashboard goes back to its sign-in form.
 * Every call is aborted after TIMEOUT_MS (JSON calls: until the whole body is read; the raw
 * `fetch`, used for the CSV export: until the headers arrived, so a long download is not cut).
 */
export function createApi(key, onAuthLost = () => {}) {
  async function send(method, path, body, read) {
    const headers = {Authorization: 'Bearer ' + key, Accept: 'application/json'};
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new DOMException('no answer within ' + TIMEOUT_MS / 1000 + ' s', 'TimeoutError'));
    }, TIMEOUT_MS);
    const lost = e => timedOut
      ? new ApiError(0, 'timeout', 'the gateway did not answer within ' + TIMEOUT_MS / 1000 + ' s')
      : new ApiError(0, 'unreachable', 'the gateway could not be reached (' + (e && e.message ? e.message : e) + ')');
    try {
      let response;
      try {
        response = await fetch(path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          cache: 'no-store', credentials: 'omit', redirect: 'error', signal: abort.signal,
        });
      } catch (e) {
        throw lost(e);
      }
      if (!response.ok) {
        const error = await failure(response);
        if (error.auth) {
          onAuthLost(error);
        }
        throw error;
      }
      if (!read) {
        return response;
      }
      try {
        return {response, text: await response.text()};
      } catch (e) {
        throw lost(e);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async function json(method, path, body) {
    const {response, text} = await send(method, path, body, true);
    if (text === '') {
      return null;
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ApiError(response.status, 'not_json', 'the gateway answered ' + path + ' with something that is not JSON');
    }
  }

  return {
    get: path => json('GET', path),
    post: (path, body = {}) => json('POST', path, body),
    /** The raw response (for the CSV export). */
    fetch: path => send('GET', path, undefined, false),
  };
}

async function failure(response) {
  let code = 'http_' + response.status;
  let message = response.status + ' ' + (response.statusText || 'error');
  let field = null;
  try {
    const body = JSON.parse(await response.text());
    const error = body && typeof body === 'object' ? body.error : null;
    if (error && typeof error === 'object') {
      code = typeof error.code === 'string' ? error.code : code;
      message = typeof error.message === 'string' ? error.message : message;
      field = typeof error.field === 'string' ? error.field : null;
    }
  } catch (e) {
    // not a Herald error body (a proxy's page, say): keep the status line
  }
  return new ApiError(response.status, code, message, field);
}

/** A query string from the non-empty values of `params`: `?status=dead&limit=50`. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value != null && value !== '') {
      q.set(name, String(value));
    }
  }
  const text = q.toString();
  return text ? '?' + text : '';
}
