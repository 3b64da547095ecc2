// The three ways a `faregate` command can fail, each with its own exit code.

/** The command line or the environment is wrong; nothing was sent. Exit code 2. */
export class UsageError extends Error {
  /**
   * @param {string} message what is wrong, said so the user can fix it
   * @param {string | null} [usage] the usage text of the level the user was at, printed after the message
   */
  constructor(message, usage = null) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
  }
}

/** The admin API answered with an error. Exit code 1. */
export class ApiError extends Error {
  /**
   * @param {string} message the API's `error.message` (or a description of a non-API answer)
   * @param {{ status: number, type?: string | null, code?: string | null, param?: string | null }} details
   */
  constructor(message, { status, type = null, code = null, param = null }) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }
}

/** The gateway could not be reached, or did not answer in time. Exit code 1. */
export class NetworkError extends Error {
  /** @param {string} message names the URL that could not be reached and why */
  constructor(message) {
    super(message);
    this.name = "NetworkError";
  }
}

/** The user pressed Ctrl-C at a prompt. Exit code 130, as a shell reports SIGINT. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted");
    this.name = "Interrupted";
  }
}

export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, interrupted: 130 });
