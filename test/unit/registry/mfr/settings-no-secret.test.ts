import t from 'tap';
import { registrySettingsFrom } from '../../../../src/registry/mfr/settings.js';

// registrySettingsFrom is also reached without loadSettings' checks (the client built directly, a
// live change parsed first): a refused registry setting must name the setting, never copy a
// password in it, while a plain typo is still quoted.
const PASSWORD = 'Kx7Qz9Wv!Pl#2';

function refusal(settings: Record<string, string>): string {
  try {
    registrySettingsFrom(settings);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

t.test('a registry.url that does not parse is refused without its password', async (t) => {
  for (const url of [
    `https://mfr-user:${encodeURIComponent(PASSWORD)}@mfr.example.org:99999/fhir`,
    `https://mfr-user:${PASSWORD}@mfr.example.org:99999/fhir`,
    `mfr-user:${PASSWORD}@mfr.example.org/fhir`,
  ]) {
    const message = refusal({ 'registry.url': url });
    t.match(message, 'registry.url must be an absolute http(s) URL', `${url}: refused, the setting named`);
    t.notMatch(message, 'Kx7Qz', `${url}: no part of the password`);
    t.notMatch(message, 'mfr-user', `${url}: nor the user`);
  }
});

t.test('a registry.url typo without credentials is still quoted', async (t) => {
  t.match(refusal({ 'registry.url': 'mfr.example.org/fhir' }), "got 'mfr.example.org/fhir'");
});

t.test('a password pasted into registry.changeFeed is not echoed; a typo is', async (t) => {
  const message = refusal({ 'registry.url': 'https://mfr.example.org/fhir', 'registry.changeFeed': PASSWORD });
  t.match(message, 'registry.changeFeed must be one of');
  t.notMatch(message, 'Kx7Qz');
  t.match(
    refusal({ 'registry.url': 'https://mfr.example.org/fhir', 'registry.changeFeed': 'polling' }),
    "got 'polling'",
  );
});
