/**
 * Calls to /api/control. Reads go without credentials (the API serves them to
 * anonymous readers); changes carry the admin token as an `Authorization:
 * Bearer` header, never a cookie, so no other site can make the browser send
 * it. Failures become ApiError with the server's own message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function parse<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): described by its status below.
  }
  if (response.ok) return body as T;
  const error = (
    body as { error?: { code?: string; message?: string; field?: string } } | undefined
  )?.error;
  throw new ApiError(
    response.status,
    error?.code ?? 'http_error',
    `${what}: ${response.status} ${error?.message ?? response.statusText}`,
    error?.field,
  );
}

export async function getJson<T>(path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'omit' });
  } catch (err) {
    throw new ApiError(0, 'unreachable', `GET ${path}: the server did not answer (${String(err)})`);
  }
  return parse<T>(response, `GET ${path}`);
}

export async function postJson<T>(path: string, body: unknown, token: string | null): Promise<T> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers,
      body: JSON.stringify(body ?? {}),
      credentials: 'omit',
    });
  } catch (err) {
    throw new ApiError(
      0,
      'unreachable',
      `POST ${path}: the server did not answer (${String(err)})`,
    );
  }
  return parse<T>(response, `POST ${path}`);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
