// The sandbox's semver check decides whether a re-registration updates the stored mediator.
import t from 'tap';
import { semverGt, validSemver } from '../../../sandbox/openhim/semver.js';

t.test('valid: strict x.y.z with optional leading v, prerelease and build', async (t) => {
  for (const v of [
    '0.1.0',
    '1.2.3',
    'v2.3.1',
    '1.0.0-rc.1',
    '1.0.0-alpha-1.0',
    '1.0.0+build.5',
    '1.0.0-0.3.7+sha.abc',
    ' 1.2.3 ',
  ])
    t.ok(validSemver(v), v);
  for (const v of [
    '1.0',
    '1',
    '01.0.0',
    '1.02.0',
    '1.0.0-',
    '1.0.0-01',
    '=1.0.0',
    'x.y.z',
    '',
    '1.0.0.0',
    'v',
    42,
    null,
  ])
    t.notOk(validSemver(v), String(v));
});

t.test('gt: precedence per semver.org §11, build metadata ignored', async (t) => {
  const ascending = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.1.0',
    '2.0.0',
    '10.0.0',
  ];
  for (let i = 1; i < ascending.length; i++) {
    t.ok(semverGt(ascending[i], ascending[i - 1]), `${ascending[i]} > ${ascending[i - 1]}`);
    t.notOk(semverGt(ascending[i - 1], ascending[i]), `${ascending[i - 1]} !> ${ascending[i]}`);
  }
  t.notOk(semverGt('1.0.0+b2', '1.0.0+b1'));
  t.notOk(semverGt('v1.0.0', '1.0.0'));
  t.throws(() => semverGt('1.0', '1.0.0'));
});
