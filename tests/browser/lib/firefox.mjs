// Launches Debian's firefox-esr headless through WebDriver BiDi
// (playwright-core's "moz-firefox" channel drives a stock Firefox) with its
// traffic kept on loopback, as launchChromium does for chromium (see
// ../shared/DESIGN.md, "Browser tests and latency figures"): every HTTP(S)
// request not for loopback goes to a proxy on 127.0.0.1:9 where nothing
// listens, name resolution and HTTP/3 are off, and so are the background
// services that would phone home (playwright-core's profile turns off
// updates, telemetry and safe browsing; the rest is here).  WebRTC keeps
// loopback candidates and plain host addresses (no mDNS), and has no STUN
// server unless a page names one.
import { firefox } from 'playwright-core';

const EXECUTABLE = process.env.FIREFOX || '/usr/bin/firefox-esr';
const NOWHERE = 'http://127.0.0.1:9/';

const LOOPBACK_ONLY_PREFS = {
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1', 'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1', 'network.proxy.ssl_port': 9,
  'network.proxy.allow_hijacking_localhost': false,
  'network.dns.disabled': true,
  'network.trr.mode': 5,
  'network.http.http3.enable': false,
  'network.captive-portal-service.enabled': false,
  'network.predictor.enabled': false,
  'network.prefetch-next': false,
  'services.settings.server': NOWHERE,
  'toolkit.telemetry.server': NOWHERE,
  'dom.push.connection.enabled': false,
  'extensions.blocklist.enabled': false,
  'security.OCSP.enabled': 0,
  // The OpenH264 plugin is a download: not here (what an offline KVM meets).
  'media.gmp-manager.url': NOWHERE,
  'media.gmp-gmpopenh264.autoupdate': false,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.autoplay.default': 0,
};

export function launchFirefox() {
  return firefox.launch({
    channel: 'moz-firefox',
    executablePath: EXECUTABLE,
    headless: true,
    firefoxUserPrefs: LOOPBACK_ONLY_PREFS,
  });
}
