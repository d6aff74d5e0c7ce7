import t from 'tap';
import type { Facility } from '../../../../src/domain/facility.js';
import { buildBlockingIndex, candidatesFor, keysOf } from '../../../../src/registry/match/blocking.js';
import { cleanPositions, referencePoint } from '../../../../src/registry/match/geo.js';
import { prepareLists } from '../../../../src/registry/match/prepare.js';
import { buildTokenStats } from '../../../../src/registry/match/similarity.js';
import { defaultVocabulary } from '../../../../src/registry/match/vocabulary.js';
import { fac } from '../../../support/match-facilities.js';

/** Filler records so that common words are common and blocks have realistic sizes. */
function filler(n: number): Facility[] {
  return Array.from({ length: n }, (_, i) => fac(`f${i}`, `Zeta${i} Medical Clinic`, [`Ward${i % 7}`, 'Othercounty']));
}

function keysFor(left: Facility, right: Facility[]) {
  const v = defaultVocabulary();
  const lists = prepareLists([left], right, v);
  const stats = buildTokenStats([...lists.left.records, ...lists.right.records].map((r) => [r.name, ...r.aliases]));
  const index = buildBlockingIndex(lists.right, stats);
  const found = candidatesFor(lists.left.records[0], index, stats);
  return (id: string) => {
    const i = right.findIndex((f) => f.id === id);
    return found.has(i) ? keysOf(found.get(i)!) : [];
  };
}

t.test('area key: same sub-area and same first letters, whatever the type words', async (t) => {
  const keys = keysFor(fac('l', 'Kamoi Dispensary', ['Kamoi Ward', 'Elgeyo']), [
    fac('r', 'Kamoi Health Centre', ['Kamoi Ward', 'Elgeyo']),
    ...filler(30),
  ]);
  t.ok(keys('r').includes('area'));
});

t.test('rare-token key: a rare word shared across areas (hierarchy drift)', async (t) => {
  // A three-letter word: a rare-token key, too short for a phonetic key, different area and initials.
  const keys = keysFor(fac('l', 'Our Lady Kyu Hospital', ['North', 'Kitui']), [
    fac('r', 'Kyu Mission Hospital', ['South', 'Makueni']),
    ...filler(30),
  ]);
  t.same(keys('r'), ['token']);
});

t.test('phonetic key: spelling variants of the distinctive word', async (t) => {
  const keys = keysFor(fac('l', 'Ekomero Health Centre', ['A', 'Kakamega']), [
    fac('r', 'Ikomero Dispensary', ['B', 'Vihiga']),
    ...filler(30),
  ]);
  t.same(keys('r'), ['phonetic']);
});

t.test('spatial key: within the radius only, and only with usable coordinates', async (t) => {
  const near = fac('near', 'Totally Different Name', ['X', 'Y'], {
    position: { latitude: -1.2901, longitude: 36.8201 },
  });
  const far = fac('far', 'Another Unrelated Site', ['X', 'Y'], { position: { latitude: -1.9, longitude: 37.5 } });
  const keys = keysFor(fac('l', 'Qwerty Clinic', ['P', 'Q'], { position: { latitude: -1.29, longitude: 36.82 } }), [
    near,
    far,
    ...filler(30),
  ]);
  t.same(keys('near'), ['spatial']);
  t.same(keys('far'), []);
});

t.test('swapped coordinates and repeated centroid placeholders become missing', async (t) => {
  const ok = { latitude: -1.29, longitude: 36.82 };
  const positions = [
    ok,
    { latitude: -0.5, longitude: 37.1 },
    { latitude: 36.9, longitude: -1.3 },
    { latitude: 0, longitude: 0 },
    { latitude: -2.0, longitude: 37.0 },
    { latitude: -2.0, longitude: 37.0 },
    { latitude: -2.0, longitude: 37.0 },
    { latitude: 200, longitude: 36 },
  ];
  const ref = referencePoint([positions]);
  const clean = cleanPositions(positions, ref);
  t.same(clean[0], { position: ok });
  t.equal(clean[2].defect, 'swapped');
  t.equal(clean[3].defect, 'invalid');
  t.equal(clean[4].defect, 'placeholder');
  t.equal(clean[7].defect, 'swapped', 'latitude beyond 90 with a plausible longitude is a swap');
});
