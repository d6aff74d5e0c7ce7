/**
 * Values of CONFIG_FILE that JSON allows and no setting takes. `null` is "not set here", as an empty
 * value is and as a console value is: `"port": null` used to be read as port 0 (the mediator on a
 * port the OS picks) and `"username": null` as the user name "null". A list is refused naming the
 * setting ([3000] was read as 3000, [] as port 0), and a file that is not an object of settings
 * says so instead of "unknown setting '0'". What the value held is never quoted.
 */
import t from 'tap';
import type { Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, defaultSettings, layeredSettings } from '../../../src/config/load.js';

/** layeredSettings with a config file holding `json` (and no environment). */
function withFile(t: Test, json: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'config-file-values-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'mediator.json');
  writeFileSync(file, json);
  return { file, settings: () => layeredSettings({ CONFIG_FILE: file }) };
}

t.test('null in the config file leaves the setting as the layers below have it', async (t) => {
  const { settings } = withFile(
    t,
    JSON.stringify({
      server: { port: null },
      auth: { username: null, password: null },
      outbox: { deadlineMs: null },
      openhim: { trustSelfSigned: null },
    }),
  );
  const s = settings();
  const d = defaultSettings();
  t.equal(s['server.port'], d['server.port'], 'port: the default, not 0');
  t.equal(s['auth.username'], d['auth.username'], 'user name: the default, not "null"');
  t.equal(s['auth.password'], undefined, 'password: not set, not "null"');
  t.equal(s['outbox.deadlineMs'], d['outbox.deadlineMs'], 'deadline: the default, not 0');
  t.equal(s['openhim.trustSelfSigned'], false, 'a boolean: the default');
});

t.test('a list as a value is refused naming the setting, never its content', async (t) => {
  for (const [json, key, kind] of [
    ['{"server": {"port": []}}', 'server.port', 'a number'],
    ['{"server": {"port": [3000]}}', 'server.port', 'a number'],
    ['{"openlmis": {"password": ["Lmis7Secret", "x"]}}', 'openlmis.password', 'a string'],
    ['{"openlmis": {"authorizeStep": [true]}}', 'openlmis.authorizeStep', 'true or false'],
  ] as const) {
    const { file, settings } = withFile(t, json);
    t.throws(settings, new ConfigError(`CONFIG_FILE ${file}: ${key} must be ${kind}, got a list`), json);
  }
});

t.test('a file that is not an object of settings says so', async (t) => {
  for (const [json, kind] of [
    ['[1, 2]', 'a list'],
    ['null', 'null'],
    ['"openlmis"', 'string'],
  ] as const) {
    const { file, settings } = withFile(t, json);
    t.throws(
      settings,
      new ConfigError(
        `CONFIG_FILE ${file}: must be a JSON object of settings ({"openlmis": {"baseUrl": "…"}}), got ${kind}`,
      ),
      json,
    );
  }
});
