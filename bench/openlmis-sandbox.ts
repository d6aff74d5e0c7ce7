/**
 * The OpenLMIS sandbox as its own process for bench:openlmis (so the benchmark does not measure
 * the mediator and the upstream sharing one event loop): started with enough health posts for
 * every order of the run, it prints its URL as one JSON line and runs until killed.
 */
import { startOpenLmisSandbox } from '../sandbox/openlmis/index.js';

const healthPosts = Number(process.argv[2] ?? 200);
const sb = await startOpenLmisSandbox({ port: 0, seed: { extraHealthPosts: healthPosts } });
process.stdout.write(`${JSON.stringify({ url: sb.url })}\n`);
const stop = () => void sb.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
