/**
 * The admin token: kept for this tab only (sessionStorage, falling back to
 * memory where storage is refused), so it is gone when the tab closes and is
 * never sent anywhere but in the Authorization header of a change.
 */
const KEY = 'tandem.controlRoom.adminToken';
let memory: string | null = null;

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY) ?? memory;
  } catch {
    return memory;
  }
}

export function saveToken(token: string | null): void {
  memory = token;
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage refused (private mode, policy): the in-memory copy serves this page's life.
  }
}
