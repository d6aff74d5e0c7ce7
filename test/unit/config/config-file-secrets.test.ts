/**
 * A CONFIG_FILE that is not valid JSON stops start-up with a configuration error that does not
 * quote the file. V8's JSON.parse messages carry a snippet of the text around the error, and the
 * file holds the passwords, which the redactor does not know yet when the file fails to parse:
 * a password written without its quotes printed `..."assword": Kx7Qz9WvPl"... is not valid JSON`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ConfigError, loadSettings } from '../../../src/config/load.js';

const SECRET = 'Kx7Qz9WvPl4RtMn2Jb8Hd';

/** Every 3-character piece of the secret: none may appear in what is printed. */
const pieces = Array.from({ length: SECRET.length - 2 }, (_, i) => SECRET.slice(i, i + 3));

t.test('a malformed CONFIG_FILE is reported by position, never by its text', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cases = [
    // the quotes forgotten: V8 quoted ten characters of the password
    `{"openlmis": {"password": ${SECRET}}}`,
    `{"openlmis": {"password": "${SECRET}", "u": x}}`,
    `{"openlmis": {"password": "${SECRET}"}, "auth": tru}`,
    `{"openlmis": {"password": "${SECRET}" "username": "m"}}`,
    `{\n  "openlmis": {\n    "password": "${SECRET}",\n  }\n}`,
    `{"openlmis": {"password": "${SECRET}`,
  ];
  for (const [i, text] of cases.entries()) {
    const file = path.join(dir, `config-${i}.json`);
    writeFileSync(file, text);
    let message = '';
    try {
      loadSettings({ CONFIG_FILE: file, DATA_DIR: dir } as NodeJS.ProcessEnv);
    } catch (err) {
      t.ok(err instanceof ConfigError, `case ${i}: a configuration error`);
      message = (err as Error).message;
    }
    t.match(message, /is not valid JSON/, `case ${i}: says what is wrong (${message})`);
    const said = message.replace(file, '');
    t.notOk(
      pieces.some((p) => said.includes(p)),
      `case ${i}: no piece of the password in the message`,
    );
  }
  const located = path.join(dir, 'located.json');
  writeFileSync(located, `{\n  "openlmis": {\n    "password": "${SECRET}" "x": 1\n  }\n}`);
  t.throws(
    () => loadSettings({ CONFIG_FILE: located, DATA_DIR: dir } as NodeJS.ProcessEnv),
    /is not valid JSON at line 3, column \d+/,
    'where V8 gives a position, the line and column',
  );
  t.throws(
    () => loadSettings({ CONFIG_FILE: path.join(dir, 'missing.json'), DATA_DIR: dir } as NodeJS.ProcessEnv),
    /cannot be read \(ENOENT\)/,
  );
});
