/**
 * Named errors carry structured fields so callers (the HTTP layer, the CLI, logs)
 * can report exactly what was wrong without parsing messages.
 */
export class TandemError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: nothing was written to either store. `field` is a dotted path into the input. */
export class InvalidInputError extends TandemError {
  readonly code = 'invalid_input';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A referenced row does not exist (or is not visible to this operation). */
export class NotFoundError extends TandemError {
  readonly code = 'not_found';
  constructor(
    readonly entity: string,
    readonly key: unknown,
    readonly field?: string,
  ) {
    super(`${entity} ${JSON.stringify(key)} not found`);
  }
}

/** The write conflicts with existing data (a unique key already taken, say). */
export class ConflictError extends TandemError {
  readonly code = 'conflict';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Configuration or environment is unusable; the message says which setting. */
export class ConfigError extends TandemError {
  readonly code = 'config';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

/** The caller is not signed in but the operation needs a user. */
export class UnauthenticatedError extends TandemError {
  readonly code = 'unauthenticated';
}

/** The caller's role does not allow the operation. */
export class ForbiddenError extends TandemError {
  readonly code = 'forbidden';
  constructor(readonly requiredRole: string) {
    super(`requires role ${requiredRole}`);
  }
}

/**
 * The caller's token is valid but names a user the application does not have
 * (a row missing from its user table): refused like a role that is too low.
 */
export class UnknownUserError extends TandemError {
  readonly code = 'forbidden';
  constructor() {
    super("the token's user is not a known user of this site");
  }
}

/**
 * Convex did not answer, or answered that it is unavailable (network error,
 * timeout, HTTP 5xx other than a function failure, 429). Worth waiting for;
 * repeated ones open the relay's circuit breaker instead of spending retries.
 */
export class TargetUnavailableError extends TandemError {
  readonly code: string = 'target_unavailable';
}

/**
 * Convex refused the credentials (HTTP 401/403: a wrong or revoked deploy
 * key). Like an outage, it is not the fault of the events being applied: it
 * pauses delivery (and alerts) instead of spending their retry budget.
 */
export class TargetAuthError extends TargetUnavailableError {
  override readonly code: string = 'target_auth';
}
