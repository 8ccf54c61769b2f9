/** An error the CLI reports as one clear message (no stack trace) and turns into an exit code. */
export class TrainerError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'TrainerError';
  }
}

/** A bad config value: exit code 2, the message names the field, the value and what is allowed. */
export class ConfigError extends TrainerError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'ConfigError';
  }
}
