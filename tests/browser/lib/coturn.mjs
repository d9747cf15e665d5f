// A local coturn on loopback, as STUN only, for the tests that need a real
// STUN server (never a public one).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';

async function freeUdpPort() {
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const { port } = sock.address();
  await new Promise((resolve) => sock.close(resolve));
  return port;
}

export async function startStunServer() {
  const port = await freeUdpPort();
  const child = spawn('turnserver', ['-n', '--listening-ip=127.0.0.1', `--listening-port=${port}`,
    '--stun-only', '--no-cli', '--no-tls', '--no-dtls', '--log-file=stdout', '--simple-log',
    '--no-stdout-log'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  // coturn prints nothing reliable when ready: wait until it answers a
  // STUN binding request.
  await waitForStun(port, () => log);
  return {
    port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function stunBindingRequest() {
  const msg = Buffer.alloc(20);
  msg.writeUInt16BE(0x0001, 0);          // Binding request
  msg.writeUInt32BE(0x2112a442, 4);      // magic cookie
  for (let i = 8; i < 20; i++) msg[i] = Math.floor(Math.random() * 256);
  return msg;
}

async function waitForStun(port, log) {
  const sock = dgram.createSocket('udp4');
  try {
    for (let i = 0; i < 50; i++) {
      const answered = new Promise((resolve) => {
        sock.once('message', () => resolve(true));
        setTimeout(() => resolve(false), 100);
      });
      sock.send(stunBindingRequest(), port, '127.0.0.1');
      if (await answered) return;
    }
    throw new Error(`coturn did not answer STUN on 127.0.0.1:${port}:\n${log()}`);
  } finally {
    sock.close();
  }
}
