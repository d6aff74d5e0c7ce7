/**
 * `serve` with a HOST that resolves to nothing (a typo, a container name from another network)
 * ended with Node's error object printed whole (`Error: getaddrinfo ENOTFOUND …` and its fields);
 * an address that is not this machine's was already one line (listen-problem.ts). Now the name
 * is one configuration line too, naming HOST, exit 1. `.invalid` never resolves (RFC 6761); a
 * resolver that cannot be reached answers EAI_AGAIN instead, said the same way.
 */
import t from 'tap';
import { hostLookupProblem } from '../../../src/platform/host-lookup.js';
import { cliToEnd, serveEnv, tempDir } from '../../support/minimal-env-cli.js';

const HOST = 'mediatr.invalid';

t.test('a HOST that does not resolve: one line naming HOST, exit 1', async (t) => {
  const env = await serveEnv({ DATA_DIR: tempDir(t, 'host-not-resolved'), HOST });
  const outcome = await cliToEnd(['serve'], env, 60_000);
  t.equal(outcome.code, 1, 'exit 1');
  t.match(
    outcome.stderr.trim(),
    new RegExp(
      `^configuration error: server\\.host \\(HOST\\): ${HOST.replace('.', '\\.')} does not resolve to an address \\((ENOTFOUND|EAI_AGAIN)\\); give an address of this machine \\(0\\.0\\.0\\.0 for every interface\\) or a name that resolves to one$`,
    ),
  );
});

t.test('only a lookup of HOST itself is said so', async (t) => {
  const lookup = (hostname: string) =>
    Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      syscall: 'getaddrinfo',
      code: 'ENOTFOUND',
      hostname,
    });
  t.match(hostLookupProblem(lookup(HOST), HOST), /^server\.host \(HOST\): mediatr\.invalid does not resolve/);
  t.equal(
    hostLookupProblem(lookup('db.invalid'), HOST),
    undefined,
    "another host's lookup (a database's) is not HOST's",
  );
  t.equal(hostLookupProblem(new Error('boom'), HOST), undefined, 'nor is any other error');
});
