/**
 * A configuration value is missing or invalid. Thrown at start-up, before anything listens or
 * connects, with a message that names the variable so that an operator can fix it.
 */
export class ConfigError extends Error {
  /** The environment variable at fault, e.g. `DATABASE_URL`. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}
