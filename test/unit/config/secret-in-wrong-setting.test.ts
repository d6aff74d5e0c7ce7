import t from 'tap';
import { ConfigError, loadSettings } from '../../../src/config/load.js';

// An operator's .env with a line shifted: the OpenLMIS password landed in a number, an enum, a
// boolean, a URL and a cron setting. The refusal must name the setting and never copy the value,
// which the redactor cannot know as a secret there; a plain typo is still quoted.
const SECRET = 'Kx7Qz9Wv!Pl#2';

const wrongPlaces: Array<[string, string]> = [
  ['OUTBOX_LEASE_MS', 'outbox.leaseMs'],
  ['LOG_LEVEL', 'log.level'],
  ['OPENHIM_TRUST_SELF_SIGNED', 'openhim.trustSelfSigned'],
  ['OPENLMIS_BASE_URL', 'openlmis.baseUrl'],
  ['SCHEDULE_PROPAGATE', 'schedules.propagate'],
];

function refusal(env: Record<string, string>): string {
  try {
    loadSettings({ AUTH_MODE: 'off', ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

t.test('a secret pasted into a non-secret setting is refused without being echoed', async (t) => {
  for (const [env, key] of wrongPlaces) {
    const message = refusal({ [env]: SECRET });
    t.match(message, key, `${env}: the setting is named`);
    t.notMatch(message, 'Kx7Qz', `${env}: no part of the value is copied`);
    t.match(message, `a value of ${SECRET.length} characters`, `${env}: the value is described by its length`);
  }
});

t.test('a typo keeps being quoted, so it is found at a glance', async (t) => {
  t.match(refusal({ OUTBOX_LEASE_MS: '30s' }), "got '30s'");
  t.match(refusal({ LOG_LEVEL: 'verbose' }), "got 'verbose'");
  t.match(refusal({ OPENHIM_TRUST_SELF_SIGNED: 'ture' }), "got 'ture'");
  t.match(refusal({ OPENLMIS_BASE_URL: 'openlmis.example.org:8080' }), "got 'openlmis.example.org:8080'");
  t.match(refusal({ SCHEDULE_PROPAGATE: '*/5 * * *' }), "got '*/5 * * *'");
});
