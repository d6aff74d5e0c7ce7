/**
 * Open mSupply auth and error decoding against the sandbox (which executes the real schema):
 * authToken → bearer, one re-login for many refused calls (single flight), typed login errors as
 * clear permanent errors (and /ready reasons through ping), union errors in `data` and GraphQL
 * errors[] decoded into UpstreamError with the upstream's words, and no secret in recorded calls.
 */
import t from 'tap';
import { UpstreamCallError } from '../../../../src/upstream/errors.js';
import { MASKED } from '../../../../src/upstream/http.js';
import { callsOf, createOrchestrationStore, runWithOrchestrations } from '../../../../src/platform/call-recording.js';
import { processRedactor } from '../../../../src/platform/redaction.js';
import { createMsupplyApi } from '../../../../src/systems/msupply/api.js';
import { createMsupplyClient } from '../../../../src/systems/msupply/client.js';
import { msupplySettingsFrom } from '../../../../src/systems/msupply/settings.js';
import { startRig, failure } from './harness.js';

t.test('ten concurrent calls log in once; an expired bearer is renewed with the refresh cookie, once', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await Promise.all(Array.from({ length: 10 }, () => rig.connector.ping!()));
  t.equal(rig.sb.state.logins, 1, 'one login for ten calls');
  t.ok(
    rig.sb.calls.filter((c) => c.operation === 'me').every((c) => c.authorized),
    'every call carried the bearer',
  );

  rig.sb.state.expireTokens(); // the hour passed: the bearer expired, the refresh cookie (2 h) did not
  await Promise.all(Array.from({ length: 10 }, () => rig.connector.ping!()));
  t.equal(rig.sb.state.refreshes, 1, 'ten "Unauthenticated" answers, one renewal with the refresh cookie');
  t.equal(rig.sb.state.logins, 1, 'and no second login: the password was sent once');
  t.ok(rig.sb.calls.filter((c) => c.operation === 'me').length <= 30, 'each call sent at most twice');

  await fetch(`${rig.sb.url}/_sandbox/restart`, { method: 'POST' }); // forgets bearers and refresh tokens
  await Promise.all(Array.from({ length: 10 }, () => rig.connector.ping!()));
  t.equal(rig.sb.state.logins, 2, 'after a server restart the refresh cookie is refused (InvalidToken): one login');
  t.equal(rig.sb.state.refreshes, 1);
  t.ok(
    rig.sb.calls.filter((c) => c.operation === 'refreshToken').length === 2,
    'one refresh tried per renewal, the refused one included',
  );

  rig.sb.state.expireTokens();
  rig.sb.state.advance(7200_000 + 1000);
  await rig.connector.ping!();
  t.equal(rig.sb.state.logins, 3, 'a refresh cookie past its two hours: TokenExpired, then a login');
});

t.test('typed login errors: permanent, naming what to check, never the password', async (t) => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'wrong password',
      { 'msupply.password': 'not-it-Zq9' },
      'InvalidCredentials',
      /login as 'mediator' refused \(InvalidCredentials\): check msupply\.username and msupply\.password/,
    ],
    [
      'user without a store on this site',
      { 'msupply.username': 'visitor' },
      'NoSiteAccess',
      /user 'visitor' has no store on this Open mSupply site \(NoSiteAccess\)/,
    ],
  ];
  for (const [what, settings, code, words] of cases) {
    const rig = await startRig(settings);
    const err = await failure(rig.connector.ping!());
    t.ok(err instanceof UpstreamCallError, `${what}: an UpstreamError`);
    t.equal(err.reasonCode, code, `${what}: the upstream's error type`);
    t.equal(err.transient, false, `${what}: not retried`);
    t.equal(err.status, 502, `${what}: the mediator's configuration, not the client's request`);
    t.match(err.message, words, `${what}: says what to check (this message is the /ready reason)`);
    t.notMatch(err.message, /not-it-Zq9/);
    await rig.close();
  }
});

t.test('a wrong password is not sent again and again: the mediator does not block the account', async (t) => {
  const rig = await startRig({ 'msupply.password': 'wrong-pw-1' }, { blockAfterFailures: 2, blockSeconds: 90 });
  t.teardown(() => rig.close());
  for (let i = 0; i < 3; i++) t.equal((await failure(rig.connector.ping!())).reasonCode, 'InvalidCredentials');
  t.equal(rig.sb.calls.filter((c) => c.operation === 'authToken').length, 1, 'one failed login, not three');
  rig.connector.reconfigure!({ ...rig.settings, 'msupply.password': 'password' });
  await rig.connector.ping!();
  t.pass('the right password logs in at once: the account was never blocked');
});

t.test('an account blocked after failed logins says for how long', async (t) => {
  // someone else's failed logins blocked it (one is enough here)
  const rig = await startRig({ 'msupply.password': 'wrong-pw-1' }, { blockAfterFailures: 1, blockSeconds: 90 });
  t.teardown(() => rig.close());
  t.equal((await failure(rig.connector.ping!())).reasonCode, 'InvalidCredentials');
  rig.connector.reconfigure!({ ...rig.settings, 'msupply.password': 'password' });
  const blocked = await failure(rig.connector.ping!());
  t.equal(blocked.reasonCode, 'AccountBlocked', 'even the right password waits out the block');
  t.match(blocked.message, /user 'mediator' is blocked after failed logins \(AccountBlocked\) for (89|90) s more/);
  rig.sb.state.advance(91_000);
  await rig.connector.ping!();
  t.pass('after the block the right password logs in');
});

t.test('union errors in data and errors[] become UpstreamError with the upstream words', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const client = createMsupplyClient(() => msupplySettingsFrom(rig.settings), { retryDelayMs: 10 });
  t.teardown(() => client.close());
  const api = createMsupplyApi(client);

  const notSupplier = await failure(
    api.insertRequestRequisition('store-hc-north', {
      id: 'r-1',
      otherPartyId: 'name-donor',
      maxMonthsOfStock: 3,
      minMonthsOfStock: 1,
    }),
  );
  t.equal(notSupplier.reasonCode, 'OtherPartyNotASupplier', 'the __typename of the typed error');
  t.equal(notSupplier.upstreamMessage, 'Other party is not a supplier', 'its description');
  t.equal(notSupplier.status, 422);
  t.match(
    notSupplier.message,
    /insertRequestRequisition refused: insertRequestRequisition: OtherPartyNotASupplier: Other party is not a supplier/,
  );
  t.equal(rig.sb.state.requisitions.size, 0, 'nothing written');

  const notFound = await failure(api.updateRequestRequisition('store-hc-north', { id: 'no-such', status: 'SENT' }));
  t.equal(notFound.reasonCode, 'RecordNotFound');

  const forbidden = await failure(api.requisitions('store-hc-east'));
  t.equal(forbidden.status, 502, 'a store the user may not act in is a configuration problem');
  t.equal(forbidden.issues[0].code, 'forbidden');
  t.match(forbidden.message, /Forbidden.*check its store permissions/);

  await api.insertRequestRequisition('store-hc-north', {
    id: 'r-2',
    otherPartyId: 'name-wh-central',
    maxMonthsOfStock: 3,
    minMonthsOfStock: 1,
  });
  const twice = await failure(
    api.insertRequestRequisition('store-hc-north', {
      id: 'r-2',
      otherPartyId: 'name-wh-central',
      maxMonthsOfStock: 3,
      minMonthsOfStock: 1,
    }),
  );
  t.equal(
    twice.upstreamMessage,
    'Bad user input',
    'a second insert with the same client id is refused, not duplicated',
  );
  t.equal(rig.sb.state.requisitions.size, 1);

  rig.sb.faults.add({
    operation: 'requisitions',
    action: { type: 'graphqlError', message: 'Internal error' },
    times: 1,
  });
  t.same(
    await api.requisitions('store-hc-north').then((r) => r.length),
    1,
    'an "Internal error" is transient: the query was retried',
  );
});

t.test('the password and the token never appear in recorded calls', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const store = createOrchestrationStore();
  await runWithOrchestrations(() => rig.connector.ping!(), store);
  const calls = callsOf(store);
  const login = calls.find((c) => JSON.stringify(c.requestBody).includes('authToken'))!;
  t.equal(
    (login.requestBody as any).variables.password,
    MASKED,
    'the login variables are recorded without the password',
  );
  t.equal((login.response?.body as any).data.authToken.token, MASKED, 'the issued token is masked in the login answer');
  const [token] = [...rig.sb.state.tokens.keys()];
  t.notOk(JSON.stringify(calls).includes(token), 'the token is in no recorded header or body');
  t.notOk(processRedactor.redact(`x ${token} y`).includes(token), 'the redactor knows the token');

  // a renewal: the refresh cookie it sends and the bearer it gets are masked too
  const [cookie] = [...rig.sb.state.refreshTokens.keys()];
  rig.sb.state.expireTokens();
  const renewed = createOrchestrationStore();
  await runWithOrchestrations(() => rig.connector.ping!(), renewed);
  const recorded = callsOf(renewed);
  const refresh = recorded.find((c) => JSON.stringify(c.requestBody).includes('refreshToken'))!;
  t.ok(refresh, 'the renewal is recorded');
  t.equal((refresh.response?.body as any).data.refreshToken.token, MASKED, 'the renewed bearer is masked');
  const [bearer] = [...rig.sb.state.tokens.keys()];
  const text = JSON.stringify(recorded);
  t.notOk(text.includes(cookie), 'the refresh cookie sent is in no recorded call');
  t.notOk(text.includes(bearer), 'nor the renewed bearer');
  t.notOk(text.includes([...rig.sb.state.refreshTokens.keys()][0]), 'nor the rotated refresh cookie');
});

t.test('the refresh cookie is a credential the redactor knows: an echo of it cannot leave', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await rig.connector.ping!();
  const [first] = [...rig.sb.state.refreshTokens.keys()];
  t.ok(first, 'the login set a refresh cookie');
  t.notOk(processRedactor.redact(`echoed: ${first}`).includes(first), 'the cookie the login set is masked in any text');
  // a renewal rotates it: the new one (kept for the next renewal) is masked too
  rig.sb.state.expireTokens();
  await rig.connector.ping!();
  const rotated = [...rig.sb.state.refreshTokens.keys()].find((c) => c !== first);
  t.ok(rotated, 'the renewal set a new cookie');
  t.notOk(processRedactor.redact(`echoed: ${rotated}`).includes(rotated!), 'the rotated cookie is masked too');
});
