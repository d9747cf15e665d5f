// Launches Debian's chromium headless with its WebRTC traffic kept on
// loopback: no mDNS host candidates, no DNS, no background networking
// (see ../shared/DESIGN.md, "Browser tests and latency figures").
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
export async function launchChromium(extraArgs = [], { executablePath = EXECUTABLE } = {}) {
  return chromium.launch({
    executablePath,
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
