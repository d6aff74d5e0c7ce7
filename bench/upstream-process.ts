/**
 * The no-op upstream for benchmarks, in a process of its own (issue 18: a benchmark's load and
 * its upstream must not share the measured process). Quiet (no request log), so its cost is the
 * same small HTTP answer for every side. Prints "UPSTREAM <url>" once listening.
 */
import { startFaultyUpstream } from '../sandbox/faulty-upstream/server.js';

const upstream = await startFaultyUpstream();
process.stdout.write(`UPSTREAM ${upstream.url}\n`);
process.once('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
