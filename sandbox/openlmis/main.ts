/**
 * Standalone OpenLMIS sandbox, kept for `npx tsx sandbox/openlmis/main.ts [--port 8081]`: the same
 * as `npm run sandbox -- openlmis [--port 8081]` (sandbox/cli.ts, README "Sandboxes"), which it runs.
 */
process.argv.splice(2, 0, 'openlmis');
await import('../cli.js');
