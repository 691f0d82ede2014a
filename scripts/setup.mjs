#!/usr/bin/env node
// npm run setup: install the npm dependencies and make sure WebGPU works. Where no adapter is found on
// Debian/Ubuntu it installs Mesa lavapipe (Vulkan on the CPU) — from bookworm-backports on Debian 12 —
// when run as root, and otherwise prints the exact commands.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const sh = (cmd) => execSync(cmd, { stdio: 'inherit' });
const root = process.getuid?.() === 0;

if (!existsSync('node_modules/.package-lock.json')) {
  console.log('> npm ci');
  sh('npm ci --no-audit --no-fund');
} else if (!existsSync('dist/cli.js')) {
  sh('npm run build');
}

function doctor() {
  const r = spawnSync(process.execPath, ['dist/cli.js', 'doctor'], { encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout || '') + (r.stderr || '') };
}

let d = doctor();
if (d.ok) {
  console.log(d.out.trim());
  console.log('\nWebGPU works. Next: npm test, or npm start.');
  process.exit(0);
}
console.log(d.out.trim());

const osr = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
const debian12 = /VERSION_CODENAME=bookworm/.test(osr);
const debianLike = /ID(_LIKE)?=.*(debian|ubuntu)/.test(osr);
const backports = [
  "awk 'NR==1,/^$/' /etc/apt/sources.list.d/debian.sources | sed 's/^Suites:.*/Suites: bookworm-backports/' > /etc/apt/sources.list.d/backports.sources",
  'apt-get update',
  'apt-get install -y -t bookworm-backports mesa-vulkan-drivers',
];
const plain = ['apt-get update', 'apt-get install -y mesa-vulkan-drivers'];
const cmds = debian12 ? backports : plain;

if (!debianLike) {
  console.error('\nNo WebGPU adapter. Install a Vulkan driver for your GPU, or Mesa lavapipe (CPU Vulkan), then run npm run setup again.');
  process.exit(1);
}
if (!root) {
  console.error(`\nNo WebGPU adapter. Install Mesa lavapipe as root:\n${cmds.map((c) => `  sudo sh -c "${c.replace(/"/g, '\\"')}"`).join('\n')}\nthen run npm run setup again.`);
  process.exit(1);
}
console.log('\nInstalling Mesa lavapipe (Vulkan on the CPU)...');
if (debian12 && existsSync('/etc/apt/sources.list.d/debian.sources') && !existsSync('/etc/apt/sources.list.d/backports.sources')) {
  const first = readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8').split(/\n\s*\n/)[0];
  writeFileSync('/etc/apt/sources.list.d/backports.sources', first.replace(/^Suites:.*$/m, 'Suites: bookworm-backports') + '\n');
}
for (const c of cmds.slice(debian12 ? 1 : 0)) sh(c);
d = doctor();
console.log(d.out.trim());
process.exit(d.ok ? 0 : 1);
