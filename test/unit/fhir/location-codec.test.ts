/**
 * Location encoding of a facility's telecom: R4 carries it as Location.telecom, R5 inside
 * Location.contact. No telecom (none, or an empty list as some connectors decode it) is neither an
 * empty telecom nor a contact holding one: FHIR allows no empty arrays or elements.
 */
import t from 'tap';
import type { Facility } from '../../../src/domain/facility.js';
import { encodeLocation } from '../../../src/fhir/codecs/location.js';

const facility = (telecom?: Facility['telecom']): Facility => ({
  id: 'f1',
  identifiers: [{ system: 'https://example.org/codes', value: 'F1' }],
  name: 'Mji Mpya Clinic',
  status: 'active',
  kind: 'facility',
  ...(telecom ? { telecom } : {}),
});

t.test('an empty telecom list is no telecom in R4 and no contact in R5', async (t) => {
  for (const telecom of [undefined, []]) {
    const r4 = encodeLocation('r4', facility(telecom), {});
    const r5 = encodeLocation('r5', facility(telecom), {});
    t.notOk('telecom' in r4, `R4, telecom ${JSON.stringify(telecom)}: no telecom`);
    t.notOk('contact' in r5, `R5, telecom ${JSON.stringify(telecom)}: no contact`);
    t.notOk('telecom' in r5, 'R5 has no top-level telecom');
  }
});

t.test('a phone number is Location.telecom in R4 and Location.contact[0].telecom in R5', async (t) => {
  const phone = [{ system: 'phone' as const, value: '+260 211 000000' }];
  t.same(encodeLocation('r4', facility(phone), {}).telecom, phone);
  t.same(encodeLocation('r5', facility(phone), {}).contact, [{ telecom: phone }]);
});
