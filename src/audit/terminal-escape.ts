/** C0 and C1 controls, DEL, and the bidi/zero-width format characters that can disguise text. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Makes a value safe to print to a terminal: every control or format character becomes a visible
 * escape (`\n`, `\x1b`, `\u202e`), so a name from the wire can neither start a new line nor move the
 * cursor or recolour the screen.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    switch (ch) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default: {
        const code = ch.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
}
