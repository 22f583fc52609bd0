import type { CliIo } from './cli.output.js';

/**
 * Characters a terminal may act on instead of showing: C0 controls (ESC starts colour, cursor, title and
 * hyperlink sequences; CR and BS overwrite), DEL, C1 controls (U+009B is a one-character CSI), the Unicode
 * line separators, and the bidirectional overrides and isolates that reorder the rest of a line.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same without line feed, which separates the lines of the CLI's own output. */
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw among them (it escapes only C0). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A field from a message (header name or value, id, queue name, body, error text) made safe to print:
 * every control character becomes a visible escape (`\x1b`, `\n`, `\u202e`), so a message can neither
 * drive the terminal nor forge lines of output. Other text, non-ASCII included, is left as it is.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** Whole output text: like {@link escapeControls}, but its own line breaks stay. */
export function escapeOutput(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, visible);
}

/**
 * `JSON.stringify` (indented) with DEL, C1, line separators and bidi controls written as `\uXXXX` too:
 * still valid JSON that parses to the same data, with nothing a terminal would act on.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The CLI's streams with {@link escapeOutput} applied to everything written and asked: the last line of
 * defence for text not escaped field by field (usage errors quoting an argument, errors from the broker or
 * the library, log lines).
 */
export function escapingIo(io: CliIo): CliIo {
  return {
    out: (text) => io.out(escapeOutput(text)),
    err: (text) => io.err(escapeOutput(text)),
    interactive: io.interactive,
    ask: (question) => io.ask(escapeOutput(question)),
  };
}
