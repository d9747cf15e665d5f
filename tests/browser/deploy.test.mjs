// Deployment files: the udev rule, the systemd units and the device-tree
// overlays.  Not a browser test; it lives here because the node suite does.
//
// - udev: `udevadm verify` is new in systemd 253; Debian 12 has 252, so the
//   rule goes through `udevadm test` against a fake V4L2 sub-device made in
//   a private mount namespace (tmpfs over a sysfs folder, private
//   /etc/udev/rules.d, /run and /dev): nothing touches the host.
// - systemd: `systemd-analyze verify` (exit 0 and not one message: 252
//   only warns about unknown keys and bad values) and `systemd-analyze
//   security` on the build tree's copy of the unit, whose ExecStart names
//   the binary in this build.
// - The unit under a real systemd: systemd-nspawn boots this machine's own
//   Debian as a container (a read-only bind of / with a tmpfs overlay, a
//   private network) with the unit installed; a check unit ordered after it
//   records what systemd saw (READY, watchdog, user, status page) and stops
//   the container.
// - dtc compiles every overlay with -@ and no warning.
// Needs root (mount namespaces, nspawn) and the Debian packages udev,
// systemd-container and device-tree-compiler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDir, binary } from './lib/service.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '../..');
const testUnitDir = path.join(buildDir, 'systemd', 'test');
const isRoot = process.getuid() === 0;
const needRoot = isRoot ? false : 'needs root for mount namespaces and systemd-nspawn';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (apt install udev systemd-container device-tree-compiler)`);
  return { code: r.status, out: r.stdout, err: r.stderr, all: r.stdout + r.stderr };
}

function tempDir(tag) {
  return mkdtempSync(path.join(tmpdir(), `hdmirtc-deploy-${tag}-`));
}

// ---------------------------------------------------------------- udev

// Runs `udevadm test` on a fake video4linux device with the given name;
// returns the properties udev would set and the log.
function udevTest(rulesText, { name, kernel = 'v4l-subdev0', action = 'add' }) {
  const dir = tempDir('udev');
  try {
    writeFileSync(path.join(dir, '90-hdmirtc.rules'), rulesText);
    writeFileSync(path.join(dir, 'name'), `${name}\n`);
    const script = `set -e
base=/sys/devices/virtual/workqueue
mount -t tmpfs hdmirtc-test "$base"
dev="$base/${kernel}"
mkdir -p "$dev" "$base/class/video4linux"
cp "${dir}/name" "$dev/name"
printf 'MAJOR=81\\nMINOR=3\\nDEVNAME=${kernel}\\n' > "$dev/uevent"
echo 81:3 > "$dev/dev"
ln -s ../class/video4linux "$dev/subsystem"
mount -t tmpfs hdmirtc-test /etc/udev/rules.d
cp "${dir}/90-hdmirtc.rules" /etc/udev/rules.d/
mount -t tmpfs hdmirtc-test /run
touch /run/null && mount --bind /dev/null /run/null
mount -t tmpfs hdmirtc-test /dev
touch /dev/null && mount --bind /run/null /dev/null
SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action=${action} "$dev"
`;
    const r = run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script]);
    const props = {};
    for (const line of r.out.split('\n')) {
      const m = line.match(/^([A-Z_]+)=(.*)$/);
      if (m) props[m[1]] = m[2];
    }
    return { ...r, props };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rulePath = path.join(top, 'udev', '90-hdmirtc.rules');

test('udev: the bridge sub-device pulls in hdmirtc.service', { skip: needRoot }, () => {
  const r = udevTest(readFileSync(rulePath, 'utf8'), { name: 'tc358743 10-000f' });
  assert.equal(r.code, 0, r.all);
  assert.equal(r.props.SUBSYSTEM, 'video4linux', r.all);
  assert.ok((r.props.TAGS || '').split(':').includes('systemd'), `TAGS=${r.props.TAGS}\n${r.all}`);
  assert.equal(r.props.SYSTEMD_WANTS, 'hdmirtc.service', r.all);
  // udev names the file and line of anything it cannot parse.
  assert.doesNotMatch(r.err, /90-hdmirtc\.rules:\d+/, r.err);
});

test('udev: other V4L2 devices and removal do not start it', { skip: needRoot }, () => {
  const text = readFileSync(rulePath, 'utf8');
  for (const dev of [
    { name: 'imx219 10-001a' },
    { name: 'unicam-image', kernel: 'video0' },
    { name: 'tc358743', kernel: 'v4l-subdev1' },       // no bus-address suffix: not a bridge entity
    { name: 'tc358743 10-000f', action: 'remove' },
  ]) {
    const r = udevTest(text, dev);
    assert.equal(r.code, 0, r.all);
    assert.equal(r.props.SYSTEMD_WANTS, undefined, `${JSON.stringify(dev)}\n${r.out}`);
    assert.ok(!(r.props.TAGS || '').split(':').includes('systemd') || dev.kernel === 'video0',
      `${JSON.stringify(dev)} TAGS=${r.props.TAGS}`);
  }
});

test('udev: the parse check catches a broken rule', { skip: needRoot }, () => {
  const broken = readFileSync(rulePath, 'utf8')
    .replace('TAG+="systemd"', 'TAG+="systemd", SYSTEMD_WANT+="x"');
  const r = udevTest(broken, { name: 'tc358743 10-000f' });
  assert.match(r.err, /90-hdmirtc\.rules:\d+/, r.err);
});

// ---------------------------------------------------------------- systemd

function unitFile(name) {
  const file = path.join(testUnitDir, name);
  assert.ok(existsSync(file), `${file} missing: is subdir('systemd') in meson.build and the build configured?`);
  return file;
}

function parseUnit(text) {
  const keys = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = line.match(/^\[(.+)\]$/);
    if (s) { section = s[1]; continue; }
    const m = line.match(/^([A-Za-z]+)=(.*)$/);
    assert.ok(m, `not a unit line: ${line}`);
    (keys[`${section}.${m[1]}`] ??= []).push(m[2]);
  }
  return keys;
}

test('systemd: units pass systemd-analyze verify without a message', () => {
  const dir = tempDir('verify');
  try {
    writeFileSync(path.join(dir, 'hdmirtc.service'), readFileSync(unitFile('hdmirtc.service')));
    let r = run('systemd-analyze', ['verify', path.join(dir, 'hdmirtc.service')]);
    assert.equal(r.code, 0, r.all);
    assert.equal(r.all.trim(), '', r.all);
    // With the static-network profile as a drop-in.
    mkdirSync(path.join(dir, 'hdmirtc.service.d'));
    writeFileSync(path.join(dir, 'hdmirtc.service.d', 'static-network.conf'),
      readFileSync(unitFile('static-network.conf')));
    r = run('systemd-analyze', ['verify', path.join(dir, 'hdmirtc.service')]);
    assert.equal(r.code, 0, r.all);
    assert.equal(r.all.trim(), '', r.all);
    // The check is not blind: an unknown key is reported.
    writeFileSync(path.join(dir, 'hdmirtc.service.d', 'bad.conf'), '[Service]\nRestartStep=5\n');
    r = run('systemd-analyze', ['verify', path.join(dir, 'hdmirtc.service')]);
    assert.match(r.all, /Unknown key.*RestartStep/, r.all);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('systemd: the unit is Type=notify, watchdog, restart, dynamic user, hardened', () => {
  const k = parseUnit(readFileSync(unitFile('hdmirtc.service'), 'utf8'));
  const one = (key) => (k[key] || []).at(-1);
  assert.equal(one('Service.Type'), 'notify');
  assert.match(one('Service.WatchdogSec'), /^\d+s$/);
  assert.equal(one('Service.Restart'), 'on-failure');
  assert.equal(one('Service.ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.ok(one('Service.RestartSec'));
  assert.equal(one('Service.DynamicUser'), 'yes');
  assert.equal(one('Service.SupplementaryGroups'), 'video');
  assert.equal(one('Service.StateDirectory'), 'hdmirtc');
  assert.equal(one('Service.ConfigurationDirectory'), 'hdmirtc');
  assert.equal(one('Service.ProtectSystem'), 'strict');
  assert.equal(one('Service.NoNewPrivileges'), 'yes');
  assert.equal(one('Service.CapabilityBoundingSet'), '');
  assert.equal(one('Service.LimitRTPRIO'), '1');
  assert.deepEqual(one('Service.RestrictAddressFamilies').split(' ').sort(),
    ['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
  assert.deepEqual(k['Service.DeviceAllow'].sort(),
    ['char-dma_heap rw', 'char-media rw', 'char-video4linux rw']);
  assert.equal(one('Service.ExecStart'), `${binary} --certificate=\${STATE_DIRECTORY}/dtls.pem `
    + '--tls-certificate=${STATE_DIRECTORY}/https.pem --token-file=${STATE_DIRECTORY}/http-token');
  // The installed copy differs only in the binary's directory.
  const installed = readFileSync(path.join(buildDir, 'systemd', 'hdmirtc.service'), 'utf8');
  assert.doesNotMatch(installed, /@[A-Z_]+@/);
  const execStart = installed.match(/^ExecStart=(\S+)\/hdmirtc /m);
  assert.ok(execStart && execStart[1].startsWith('/') && execStart[1].endsWith('/bin'), installed);
  assert.equal(installed.replaceAll(`${execStart[1]}/hdmirtc`, binary),
    readFileSync(unitFile('hdmirtc.service'), 'utf8'));
});

test('systemd: exposure level at most 2.0 (systemd-analyze security)', () => {
  const r = run('systemd-analyze', ['security', '--offline=yes', '--threshold=20', unitFile('hdmirtc.service')]);
  const level = r.all.match(/Overall exposure level for hdmirtc\.service: ([\d.]+)/);
  assert.ok(level, r.all);
  assert.equal(r.code, 0, `exposure ${level[1]}:\n${r.all}`);
});

// Boots a container whose systemd runs hdmirtc.service; dropIns are extra
// files for /etc/systemd/system/hdmirtc.service.d.  Returns the check
// script's key=value lines and the raw outputs.
const CONTAINER_BINARY = '/opt/hdmirtc-under-test/hdmirtc';

async function bootContainer(dropIns, { timeoutMs = 120000 } = {}) {
  const dir = tempDir('nspawn');
  const help = run(binary, ['--help']).out;
  const configPath = help.match(/--config=PATH.*\(default (\/\S+), if it exists\)/);
  assert.ok(configPath, `no default config path in --help:\n${help}`);
  writeFileSync(path.join(dir, 'hdmirtc.conf'),
    '[http]\naddress=127.0.0.1\nport=8080\n[webrtc]\nstun-server=127.0.0.1:3478\ninterfaces=lo\nipv6=false\n');
  mkdirSync(path.join(dir, 'dropins'));
  // The service's PrivateTmp hides /tmp, where a checkout may live: run
  // the binary under test from a path of its own inside the container.
  const inContainer = (text) => text.replaceAll(binary, CONTAINER_BINARY);
  for (const [name, text] of Object.entries(dropIns))
    writeFileSync(path.join(dir, 'dropins', name), inContainer(text));
  writeFileSync(path.join(dir, 'hdmirtc.service'), inContainer(readFileSync(unitFile('hdmirtc.service'), 'utf8')));
  writeFileSync(path.join(dir, 'hdmirtc-check.service'), `[Unit]
Description=hdmirtc deployment check
Wants=hdmirtc.service
After=hdmirtc.service
SuccessAction=exit-force
FailureAction=exit-force
[Service]
Type=oneshot
ExecStart=/bin/sh /hdmirtc-check.sh
`);
  writeFileSync(path.join(dir, 'hdmirtc-check.sh'), `#!/bin/sh
exec > /out/result.txt 2>&1
show() { systemctl show hdmirtc.service -p "$1" --value; }
echo "ready_state=$(show ActiveState)/$(show SubState)"
echo "status_text=$(show StatusText)"
pid=$(show MainPID)
echo "user=$(stat -c %U /proc/$pid)"
echo "groups=$(getent group video | cut -d: -f3) in $(grep ^Groups: /proc/$pid/status | cut -f2)"
echo "no_new_privs=$(grep ^NoNewPrivs: /proc/$pid/status | cut -f2)"
echo "cap_bnd=$(grep ^CapBnd: /proc/$pid/status | cut -f2)"
echo "seccomp=$(grep ^Seccomp: /proc/$pid/status | cut -f2)"
echo "cmdline=$(tr '\\0' ' ' < /proc/$pid/cmdline)"
echo "rtprio_limit=$(awk '/^Max realtime priority/ {print $4}' /proc/$pid/limits)"
# systemd raises a limit above its own hard limit only with CAP_SYS_RESOURCE.
echo "pid1_cap_sys_resource=$(( (0x$(grep ^CapEff: /proc/1/status | cut -f2) >> 24) & 1 ))"
state=/var/lib/private/hdmirtc
echo "cert=$(stat -c '%U %a' $state/dtls.pem)"
echo "https_cert=$(stat -c '%U %a' $state/https.pem)"
echo "token_file=$(stat -c '%U %a' $state/http-token)"
# On its defaults the service speaks HTTPS with the certificate it made
# and asks for the token it made; plain HTTP gets a redirect.
echo "no_token=$(curl -sS -m 5 --cacert $state/https.pem -o /dev/null -w '%{http_code}' https://localhost:8080/api/status)"
echo "http=$(curl -sS -m 5 --cacert $state/https.pem -H "Authorization: Bearer $(cat $state/http-token)" -o /out/status.json -w '%{http_code}' https://localhost:8080/api/status)"
echo "plain=$(curl -sS -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' http://127.0.0.1:8080/api/status)"
# Several watchdog periods (WatchdogSec=2s in the test drop-in).
sleep 5
echo "after_watchdog=$(show ActiveState)/$(show SubState) restarts=$(show NRestarts)"
systemctl stop hdmirtc.service
echo "stopped=$(show ActiveState) result=$(show Result)"
echo "--- journal"
journalctl -b --no-pager -o cat -u hdmirtc.service
`);
  const out = path.join(dir, 'out');
  mkdirSync(out);
  mkdirSync(path.join(dir, 'root'));
  const binds = [
    `--bind-ro=${dir}/hdmirtc-check.service:/etc/systemd/system/hdmirtc-check.service`,
    `--bind-ro=${dir}/hdmirtc-check.sh:/hdmirtc-check.sh`,
    `--bind-ro=${dir}/hdmirtc.service:/etc/systemd/system/hdmirtc.service`,
    `--bind-ro=${binary}:${CONTAINER_BINARY}`,
    `--bind-ro=${dir}/dropins:/etc/systemd/system/hdmirtc.service.d`,
    `--bind-ro=${dir}/hdmirtc.conf:${configPath[1]}`,
    `--bind=${out}:/out`,
  ];
  // A private mount namespace holds the bind of / and nspawn's /run files.
  const script = `set -e
mount --bind / "${dir}/root"
mkdir -p /run/systemd && mount -t tmpfs hdmirtc-test /run/systemd
exec systemd-nspawn --quiet -D "${dir}/root" --volatile=overlay --private-network \\
  --register=no --keep-unit --link-journal=no ${binds.map((b) => `'${b}'`).join(' ')} \\
  -b -- systemd.unit=hdmirtc-check.service`;
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let console = '';
  child.stdout.on('data', (d) => { console += d; });
  child.stderr.on('data', (d) => { console += d; });
  const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), timeoutMs);
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const resultFile = path.join(out, 'result.txt');
  const result = existsSync(resultFile) ? readFileSync(resultFile, 'utf8') : '';
  const statusFile = path.join(out, 'status.json');
  const status = existsSync(statusFile) ? readFileSync(statusFile, 'utf8') : '';
  rmSync(dir, { recursive: true, force: true });
  const keys = {};
  for (const line of result.split('\n--- journal')[0].split('\n')) {
    const m = line.match(/^([a-z_]+)=(.*)$/);
    if (m) keys[m[1]] = m[2];
  }
  return { code, console, result, keys, status };
}

const testDropIn = `[Service]
# Faster than the shipped values so the test sees several watchdog periods
# and a missing READY fails in seconds.
WatchdogSec=2s
TimeoutStartSec=20s
`;

let defaultBoot = null;   // the next test's container, for the one after it

test('systemd: under a real systemd the service reaches READY, feeds the watchdog, answers /api/status',
  { skip: needRoot, timeout: 180000 }, async () => {
    const c = await bootContainer({ 'test.conf': testDropIn });
    defaultBoot = c;
    const why = `container exit ${c.code}\n${c.result || c.console}`;
    assert.equal(c.keys.ready_state, 'active/running', why);
    assert.equal(c.keys.user, 'hdmirtc', why);                       // DynamicUser
    const [video, groups] = c.keys.groups.split(' in ');
    assert.ok(groups.split(' ').includes(video), why);                // SupplementaryGroups=video
    assert.equal(c.keys.no_new_privs, '1', why);
    assert.equal(c.keys.cap_bnd, '0000000000000000', why);
    assert.equal(c.keys.seccomp, '2', why);                           // filter mode
    assert.equal(c.keys.cert, 'hdmirtc 600', why);                    // StateDirectory
    assert.equal(c.keys.https_cert, 'hdmirtc 600', why);
    assert.equal(c.keys.token_file, 'hdmirtc 600', why);
    assert.equal(c.keys.no_token, '401', why);
    assert.equal(c.keys.http, '200', why);                            // curl checked the name: localhost
    assert.equal(c.keys.plain, '308 https://127.0.0.1:8080/api/status', why);
    const status = JSON.parse(c.status);
    assert.ok(status.version, c.status);
    assert.equal(c.keys.after_watchdog, 'active/running restarts=0', why);
    assert.doesNotMatch(c.result, /[Ww]atchdog timeout/, why);
    assert.equal(c.keys.stopped, 'inactive result=success', why);
  });

const SCHED_RR_1 = { wanted: 1, in_use: true, why_not: null };

test('systemd: LimitRTPRIO=1 lets the unprivileged service send its frames at SCHED_RR 1',
  { skip: needRoot }, (t) => {
    assert.ok(defaultBoot, 'the container of the test before did not run');
    const c = defaultBoot;
    const why = `container exit ${c.code}\n${c.result || c.console}`;
    const priority = JSON.parse(c.status).send_priority;
    if (c.keys.pid1_cap_sys_resource !== '1') {
      // What the status says then is still checked.
      assert.equal(priority.in_use, false, c.status);
      assert.match(priority.why_not, /^SCHED_RR 1 refused: Operation not permitted .*RLIMIT_RTPRIO/, c.status);
      t.skip(`the container's systemd has no CAP_SYS_RESOURCE (the machine running the test lacks it), so it cannot ` +
        `raise RLIMIT_RTPRIO to 1 (the service's limit: ${c.keys.rtprio_limit})`);
      return;
    }
    assert.equal(c.keys.rtprio_limit, '1', why);
    assert.deepEqual(priority, SCHED_RR_1, c.status);
  });

// Whatever the limit, the unit's system call filter and its other settings
// (no RestrictRealtime=) must let the service change its scheduling: with
// CAP_SYS_NICE from a drop-in it has SCHED_RR.
test('systemd: the unit\'s system call filter lets the service take SCHED_RR (CAP_SYS_NICE by a drop-in)',
  { skip: needRoot, timeout: 180000 }, async () => {
    const c = await bootContainer({ 'test.conf': testDropIn,
      'nice.conf': '[Service]\nAmbientCapabilities=CAP_SYS_NICE\nCapabilityBoundingSet=CAP_SYS_NICE\n' });
    assert.equal(c.keys.ready_state, 'active/running', `container exit ${c.code}\n${c.result || c.console}`);
    assert.deepEqual(JSON.parse(c.status).send_priority, SCHED_RR_1, c.status);
  });

test('systemd: the static-network drop-in runs without STUN on a fixed port range',
  { skip: needRoot, timeout: 180000 }, async () => {
    const staticConf = readFileSync(unitFile('static-network.conf'), 'utf8')
      .replace(/^Environment=HDMIRTC_PUBLIC_ADDRESS=$/m, 'Environment=HDMIRTC_PUBLIC_ADDRESS=192.0.2.10');
    assert.match(staticConf, /HDMIRTC_PUBLIC_ADDRESS=192\.0\.2\.10/);
    const c = await bootContainer({ 'static-network.conf': staticConf, 'test.conf': testDropIn });
    const why = `container exit ${c.code}\n${c.result || c.console}`;
    assert.equal(c.keys.ready_state, 'active/running', why);
    assert.match(c.keys.cmdline, / --no-stun /, why);
    assert.match(c.keys.cmdline, / --udp-ports=20000-20015 /, why);
    assert.match(c.keys.cmdline, / --public-address=192\.0\.2\.10 ?$/, why);
    // The configuration file names a STUN server; the drop-in overrides it.
    assert.equal(JSON.parse(c.status).network.stun_server, '', c.status);
  });

// ---------------------------------------------------------------- dtc

const overlayDir = path.join(top, 'dts-overlays');
const overlays = readdirSync(overlayDir).filter((f) => f.endsWith('-overlay.dts')).sort();

// The kernel's own dtc flags for overlays drop unit_address_vs_reg: a
// dormant fragment@N (switched on by a parameter) has no reg.
function compile(source, dir) {
  const out = path.join(dir, path.basename(source).replace(/-overlay\.dts$/, '.dtbo'));
  return { ...run('dtc', ['-@', '-Wno-unit_address_vs_reg', '-I', 'dts', '-O', 'dtb', '-o', out, source]), out };
}

function fdtget(file, node, prop, type = 's') {
  const r = run('fdtget', ['-t', type, file, node, prop]);
  assert.equal(r.code, 0, `${node} ${prop}: ${r.all}`);
  return r.out.trim();
}

test('dtc: the four overlays exist', () => {
  assert.deepEqual(overlays, [
    'hdmirtc-tc358743-pi4-2lane-overlay.dts', 'hdmirtc-tc358743-pi4-4lane-overlay.dts',
    'hdmirtc-tc358743-pi5-2lane-overlay.dts', 'hdmirtc-tc358743-pi5-4lane-overlay.dts',
  ]);
});

for (const name of overlays) {
  test(`dtc: ${name} compiles with -@, no warning, and says what it should`, () => {
    const dir = tempDir('dtc');
    try {
      const r = compile(path.join(overlayDir, name), dir);
      assert.equal(r.code, 0, r.all);
      assert.equal(r.all.trim(), '', r.all);
      const lanes = name.includes('4lane') ? '1 2 3 4' : '1 2';
      const pi5 = name.includes('pi5');
      const bridge = '/fragment@1/__overlay__/tc358743@f';
      assert.equal(fdtget(r.out, bridge, 'compatible'), 'toshiba,tc358743');
      assert.equal(fdtget(r.out, bridge, 'reg', 'x'), 'f');
      assert.equal(fdtget(r.out, bridge, 'clock-names'), 'refclk');
      assert.equal(fdtget(r.out, '/fragment@0/__overlay__/hdmirtc-tc358743-refclk', 'clock-frequency', 'u'),
        '27000000');
      assert.equal(fdtget(r.out, `${bridge}/port/endpoint`, 'data-lanes', 'u'), lanes);
      assert.equal(fdtget(r.out, `${bridge}/port/endpoint`, 'clock-lanes', 'u'), '0');
      assert.equal(fdtget(r.out, `${bridge}/port/endpoint`, 'link-frequencies', 'u'), '0 486000000');
      assert.equal(fdtget(r.out, '/fragment@2/__overlay__/port/endpoint', 'data-lanes', 'u'), lanes);
      // Labels the firmware resolves against the base device tree (the
      // audio parameter's I2S block and sound node too: the firmware
      // resolves a dormant fragment's labels as well).
      const fixups = run('fdtget', ['-p', r.out, '/__fixups__']).out.split('\n').filter(Boolean).sort();
      assert.deepEqual(fixups, pi5 ? ['csi0', 'csi1', 'i2c_csi_dsi', 'i2c_csi_dsi0', 'i2s_clk_consumer', 'sound']
        : ['csi1', 'i2c0if', 'i2c0mux', 'i2c_csi_dsi', 'i2s', 'sound']);
      const params = run('fdtget', ['-p', r.out, '/__overrides__']).out.split('\n').filter(Boolean).sort();
      assert.deepEqual(params, pi5 ? ['audio', 'cam0', 'link-frequency'] : ['audio', 'link-frequency', 'media-controller']);
      if (!pi5)
        assert.equal(run('fdtget', [r.out, '/fragment@6/__overlay__', 'brcm,media-controller']).code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('dtc: a broken overlay fails to compile (the check is not blind)', () => {
  const dir = tempDir('dtc');
  try {
    const text = readFileSync(path.join(overlayDir, overlays[0]), 'utf8');
    const broken = path.join(dir, 'broken-overlay.dts');
    writeFileSync(broken, text.slice(0, text.indexOf('__overrides__')));
    const r = compile(broken, dir);
    assert.notEqual(r.code, 0, r.all);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
