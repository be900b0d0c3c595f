import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { repoRoot } from './portal';

/** Screenshots land here; CI keeps them as test artifacts. */
export const artifactsDir = join(repoRoot, 'test-artifacts', 'screenshots');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Debian's Chromium with the flags this machine needs: without the
 * background-networking ones it keeps dialling hosts it cannot reach.
 * Playwright gives every launch a new empty profile of its own.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Signs in through the guest provider's "Enter" button when it is shown. */
export async function signInAsGuest(page: Page): Promise<void> {
  const enter = page.getByRole('button', { name: 'Enter' });
  // The sign-in page renders after the app's bundle loads; a session kept
  // from an earlier page skips it.
  const shown = await enter
    .waitFor({ timeout: 30_000 })
    .then(() => true)
    .catch(() => false);
  if (shown) await enter.click();
}

/**
 * Runs one step of a browser test and saves a screenshot named after it,
 * also when the step fails, so a red run shows what the page looked like.
 */
export async function step(
  page: Page,
  name: string,
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    await screenshot(page, `${name}-failed`).catch(() => undefined);
    throw e;
  }
  await screenshot(page, name);
}
