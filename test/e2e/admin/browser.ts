/**
 * Headless Chromium for the console's browser tests: Debian's `chromium` package driven by
 * playwright-core (no browser download). When /usr/bin/chromium is absent the tests say they are
 * skipped, with the reason. Screenshots go to test/artifacts/ (not committed).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const noChromium: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)`;
export const ARTIFACTS = path.resolve('test/artifacts');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves test/artifacts/<name>.png (the full page, or what the viewport shows). */
  shot(name: string, fullPage?: boolean): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'console-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport,
    acceptDownloads: true,
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    page,
    async shot(name, fullPage = true) {
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage });
      return file;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function signIn(page: Page, baseUrl: string, user: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/admin/ui/review`);
  await page.getByLabel('Your name').fill(user);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('user').waitFor();
}

/** axe-core (npm) injected into the page; the violations of impact serious or critical. */
export async function seriousViolations(
  page: Page,
): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // evaluated through the DevTools protocol: the console's CSP (script-src 'self') stays on
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(
            ctx: unknown,
            opts: unknown,
          ): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    return axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}
