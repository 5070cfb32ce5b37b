#!/usr/bin/env node
// Writes templates/console/handoff.wav: the short two-note chime the console plays when a customer
// is handed to it (made here, not downloaded: 16-bit PCM, mono, 8 kHz, about 0.35 s, under 6 KB).
// Run again only to change the sound: `node scripts/handoff-sound.mjs`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RATE = 8000;
const notes = [
  { hz: 880, s: 0.14 },
  { hz: 1318.5, s: 0.21 },
];
const samples = [];
for (const { hz, s } of notes) {
  const n = Math.round(RATE * s);
  for (let i = 0; i < n; i++) {
    // A soft attack and an exponential decay: a chime, not a beep.
    const env = Math.min(1, i / 80) * Math.exp((-4 * i) / n);
    samples.push(Math.round(0.45 * 32767 * env * Math.sin((2 * Math.PI * hz * i) / RATE)));
  }
}
const data = Buffer.alloc(samples.length * 2);
samples.forEach((v, i) => data.writeInt16LE(v, i * 2));
const head = Buffer.alloc(44);
head.write('RIFF', 0);
head.writeUInt32LE(36 + data.length, 4);
head.write('WAVE', 8);
head.write('fmt ', 12);
head.writeUInt32LE(16, 16);
head.writeUInt16LE(1, 20); // PCM
head.writeUInt16LE(1, 22); // mono
head.writeUInt32LE(RATE, 24);
head.writeUInt32LE(RATE * 2, 28);
head.writeUInt16LE(2, 32);
head.writeUInt16LE(16, 34);
head.write('data', 36);
head.writeUInt32LE(data.length, 40);
writeFileSync(join(import.meta.dirname, '../templates/console/handoff.wav'), Buffer.concat([head, data]));
