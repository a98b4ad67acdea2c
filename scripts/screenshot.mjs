#!/usr/bin/env node
// A full-page PNG of an HTML report, for the README:
//   node scripts/screenshot.mjs report.html report.png [width] [height]
// With a height, only the top of the page, that tall; else the whole page.
// Uses headless Chromium through playwright-core (Debian's chromium by
// default; STREAMLEARN_CHROMIUM names another binary). The report needs no
// network, and the flags keep Chromium from reaching for one.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [input, output, widthArg = '1100', heightArg] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node scripts/screenshot.mjs <report.html> <out.png> [width] [height]');
  process.exit(2);
}
const width = Number(widthArg);
if (!Number.isInteger(width) || width < 200) {
  console.error(`width must be an integer of at least 200, got ${widthArg}`);
  process.exit(2);
}
const height = heightArg === undefined ? null : Number(heightArg);
if (height !== null && !(Number.isInteger(height) && height >= 200)) {
  console.error(`height must be an integer of at least 200, got ${heightArg}`);
  process.exit(2);
}
if (!existsSync(input)) {
  console.error(`no such file: ${input}`);
  process.exit(1);
}
const executablePath = process.env.STREAMLEARN_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`no Chromium at ${executablePath}: install Debian's chromium (apt-get install chromium) or set STREAMLEARN_CHROMIUM`);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width, height: height ?? 800 }, deviceScaleFactor: 2 });
  await page.goto(pathToFileURL(resolve(input)).href, { waitUntil: 'load' });
  await page.screenshot({ path: output, fullPage: height === null });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
}
