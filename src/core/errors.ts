/**
 * An error caused by the user's input (a file, a flag, a model directory),
 * as opposed to a bug. The CLI prints its message as one line and exits
 * non-zero; the message names the file, line and column or the flag at fault.
 * Messages quote the input they refuse, which may hold line breaks or other
 * control characters: those are written as escapes, so the message stays one
 * line and cannot forge a second one in a log.
 */
export class StreamlearnError extends Error {
  override readonly name = 'StreamlearnError';
  constructor(message: string) {
    super(oneLine(message));
  }
}

// C0 and C1 controls, DEL, and the two Unicode line separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The text with every control character written as an escape (`\n`, `\u0000`). */
export function oneLine(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function fail(message: string): never {
  throw new StreamlearnError(message);
}
