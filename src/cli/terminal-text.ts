/**
 * Text from upstreams and clients (an error, a business key, a facility name) as it may reach an
 * operator's terminal: every control character written visibly (`\x1b`, `\n`), so an escape
 * sequence cannot retitle the window, clear the screen or hide text, and a line break cannot
 * forge another row of a listing. Tabs stay.
 */
// eslint-disable-next-line no-control-regex -- C0 (but tab), DEL and C1 controls are what is replaced
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r' };

export function terminalText(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
