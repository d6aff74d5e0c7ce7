import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadSettings } from '../../src/config/load.js';
import type { FhirServices } from '../../src/fhir/services.js';
import { memoryServices } from './memory-services.js';

export const TEST_PASSWORD = 'test-secret-Xy7';
export const basicAuth = `Basic ${Buffer.from(`openhim:${TEST_PASSWORD}`).toString('base64')}`;

/** An app over in-memory services with Basic auth on, as a deployment would have it. */
export async function testApp(
  opts: { services?: FhirServices; env?: Record<string, string> } = {},
): Promise<{ app: FastifyInstance; mem: ReturnType<typeof memoryServices> }> {
  const mem = memoryServices();
  const settings = loadSettings({
    AUTH_PASSWORD: TEST_PASSWORD,
    PUBLIC_BASE_URL: 'https://hie.example.org',
    ...opts.env,
  } as NodeJS.ProcessEnv);
  const app = await buildApp({
    settings: () => settings,
    services: () => opts.services ?? mem.services,
    softwareVersion: '0.0.0-test',
  });
  return { app, mem };
}

export const fhirJson = { 'content-type': 'application/fhir+json', authorization: basicAuth };
