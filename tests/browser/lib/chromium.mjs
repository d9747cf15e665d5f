// Launches Debian's chromium headless with its WebRTC traffic kept on
// loopback: no mDNS host candidates, no DNS, no background networking
// (see ../shared/DESIGN.md, "Browser tests and latency figures").
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';

// Playwright passes its own --disable-features list; chromium honours only
// the last one, so ours must repeat Playwright's and add to it.
const PLAYWRIGHT_DISABLED_FEATURES = [ // as in playwright-core 1.64.1 (package.json pins it)
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'DialMediaRouteProvider',
  'GlobalMediaControls', 'HttpsUpgrades', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'ThirdPartyStoragePartitioning', 'BlockOriginHeaderModificationOnRedirect',
  'AvoidCorsURLLoaderRestartOnRedirect', 'Translate', 'AutoDeElevate', 'OptimizationHints',
  'NetworkTimeServiceQuerying', 'AimEnabled',
];

// executablePath: e.g. a wrapper that runs chromium in a network namespace.
// env: its environment (e.g. a HOME whose NSS database trusts a certificate).
export async function launchChromium(extraArgs = [], { executablePath = EXECUTABLE, env } = {}) {
  return chromium.launch({
    executablePath,
    ...(env ? { env } : {}),
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--autoplay-policy=no-user-gesture-required',
      `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, 'WebRtcHideLocalIpsWithMdns'].join(',')}`,
      ...extraArgs,
    ],
  });
}

// A HOME whose NSS database (where chromium on Linux looks) trusts the
// certificate in certFile (PEM), as a user who accepted it would have:
// pass { env: { ...process.env, HOME } } to launchChromium.  The caller
// removes it.
export function homeTrusting(certFile) {
  const home = mkdtempSync(path.join(tmpdir(), 'hdmirtc-home-'));
  const db = path.join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'P,,', '-n', path.basename(certFile), '-i', certFile]);
  return home;
}

// The player page at url in a new page of browser, once it plays WebRTC
// (more than ten frames shown); waits at most timeoutMs.
export async function openPlaying(browser, url, timeoutMs) {
  const page = await browser.newPage();
  await page.goto(url);
  await waitPlaying(page, timeoutMs);
  return page;
}

export function waitPlaying(page, timeoutMs) {
  return page.waitForFunction(() => window.hdmirtc.state === 'playing' && window.hdmirtc.framesPresented > 10,
    null, { timeout: timeoutMs });
}
