/**
 * An error caused by the user's input (a file, a flag, a model directory),
 * as opposed to a bug. The CLI prints its message as one line and exits
 * non-zero; the message names the file, line and column or the flag at fault.
 */
export class StreamlearnError extends Error {
  override readonly name = 'StreamlearnError';
}

export function fail(message: string): never {
  throw new StreamlearnError(message);
}
