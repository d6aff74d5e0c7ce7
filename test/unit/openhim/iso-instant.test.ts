import t from 'tap';
import { isoInstant } from '../../../src/openhim/iso-instant.js';

t.test('the same text as Date#toISOString over years 0000-9999', async (t) => {
  let seed = 11;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const min = new Date('0000-01-01T00:00:00.000Z').getTime();
  const max = new Date('9999-12-31T23:59:59.999Z').getTime();
  let differing = 0;
  const edges = [min, max, 0, -1, 951782400000 /* 2000-02-29 */, 4107542400000 /* 2100-03-01 */, Date.now()];
  for (const ms of edges) if (isoInstant(ms) !== new Date(ms).toISOString()) differing++;
  for (let i = 0; i < 100_000; i++) {
    const ms = Math.floor(min + random() * (max - min));
    if (isoInstant(ms) !== new Date(ms).toISOString()) differing++;
  }
  t.equal(differing, 0, 'no instant differs');
  t.equal(isoInstant(Date.UTC(2026, 11, 3, 11, 5, 9, 7)), '2026-12-03T11:05:09.007Z');
});

t.test('outside four-digit years or whole milliseconds: through Date, as before', async (t) => {
  for (const ms of [8.64e15, -8.64e15, 253402300800000, -62167219200001, 1.5, -0.5])
    t.equal(isoInstant(ms), new Date(ms).toISOString(), String(ms));
  t.throws(() => isoInstant(NaN), RangeError, 'an invalid time still throws');
});
