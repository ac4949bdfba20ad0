// The citizens' portal in a real browser: headless Debian Chromium driven by playwright-core.
//
// Each language walks the whole journey with JavaScript OFF (the portal must not need it):
// submit with a photo, track, add information with a photo, confirm, dispute. Every page the
// citizen sees is also checked with axe-core (WCAG 2.1 A and AA rules) in a second, script-enabled
// page, and page weights and render times are measured and printed.
//
// Environment (set by scripts/test.sh): CIVICLINE_URL (a running `civicline serve`),
// CIVICLINE_DATA_DIR (its data directory, to check that stored photos lost their metadata),
// TEST_SMTP_MAILDIR (optional: the test SMTP server's maildir, to see the e-mails arrive).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const base = process.env.CIVICLINE_URL;
const dataDir = process.env.CIVICLINE_DATA_DIR;
const maildir = process.env.TEST_SMTP_MAILDIR;
if (!base) throw new Error('set CIVICLINE_URL to a running civicline');

const measurements = [];
const profiles = [];

/// A Chromium with a fresh profile directory (playwright passes it as --user-data-dir).
async function launch(options) {
  const profile = mkdtempSync(join(tmpdir(), 'civicline-chromium-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    ...options,
  });
}

after(async () => {
  for (const profile of profiles) {
    try { rmSync(profile, { recursive: true, force: true, maxRetries: 5 }); } catch { /* a temp dir */ }
  }
  console.log('\npage weights and render times (script-enabled Chromium, loopback):');
  console.log('page'.padEnd(34) + 'bytes'.padStart(8) + '  response ms  DOMContentLoaded ms  first paint ms');
  for (const m of measurements) {
    console.log(m.name.padEnd(34) + String(m.bytes).padStart(8) + String(m.response).padStart(13)
      + String(m.dcl).padStart(21) + String(m.paint < 0 ? 'n/a' : m.paint).padStart(16));
  }
  const heaviest = Math.max(...measurements.map((m) => m.bytes));
  console.log(`heaviest page: ${heaviest} bytes (limit 102400)`);
});

/// Runs axe on HTML as the citizen saw it, and fails on any violation.
async function checkAccessibility(context, html, name) {
  const page = await context.newPage();
  await page.setContent(html, { waitUntil: 'load' });
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  await page.close();
  const problems = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  assert.deepEqual(problems, [], `accessibility problems on ${name}`);
}

/// Loads a GET page in a script-enabled page and records its weight and timings.
async function measure(context, path, name) {
  const page = await context.newPage();
  const styleErrors = [];
  page.on('console', (message) => { if (/Content Security Policy|Refused/.test(message.text())) styleErrors.push(message.text()); });
  const response = await page.goto(base + path, { waitUntil: 'load' });
  const body = await response.body();
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const paint = performance.getEntriesByName('first-contentful-paint')[0] || performance.getEntriesByName('first-paint')[0];
    return {
      response: Math.round(nav.responseEnd - nav.startTime),
      dcl: Math.round(nav.domContentLoadedEventEnd - nav.startTime),
      paint: paint ? Math.round(paint.startTime) : -1,
      header: getComputedStyle(document.querySelector('header')).backgroundColor,
    };
  });
  await page.close();
  assert.deepEqual(styleErrors, [], `the page's policy refused something on ${name}`);
  assert.equal(timing.header, 'rgb(11, 61, 102)', 'the inline style applies under the CSP');
  assert.ok(body.length < 100 * 1024, `${name} weighs ${body.length} bytes`);
  measurements.push({ name, bytes: body.length, response: timing.response, dcl: timing.dcl, paint: timing.paint });
}

/// A small JPEG drawn by the browser, with an EXIF segment carrying a GPS position added.
async function photoWithExif(context, colour) {
  const page = await context.newPage();
  const dataUrl = await page.evaluate((colour) => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 48;
    const g = canvas.getContext('2d');
    g.fillStyle = colour; g.fillRect(0, 0, 64, 48);
    g.fillStyle = '#fd0'; g.fillRect(20, 10, 24, 28);
    return canvas.toDataURL('image/jpeg', 0.9);
  }, colour);
  await page.close();
  const jpeg = Buffer.from(dataUrl.split(',')[1], 'base64');
  const payload = Buffer.from('Exif\0\0MM\0*GPSLatitude 42.1354 GPSLongitude 24.7453 Phone X', 'latin1');
  const app1 = Buffer.concat([Buffer.from([0xFF, 0xE1, (payload.length + 2) >> 8, (payload.length + 2) & 255]), payload]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

async function staff(path, method, body, token) {
  const response = await fetch(base + '/api/v1' + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/// The institution finishes its part of the case through the REST API, as an officer would.
async function finishAllParts(reference) {
  const { token } = await staff('/auth/login', 'POST', { username: 'admin', password: 'civicline-demo' });
  const institutions = await staff('/institutions', 'GET', null, token);
  const kase = await staff(`/cases/${reference}`, 'GET', null, token);
  for (const part of kase.assignments) {
    if (part.status === 'done') continue;
    const code = institutions.find((i) => i.id === part.institution_id).code;
    await staff(`/cases/${reference}/assignments/${code}`, 'PUT', { status: 'done', reason: 'lamp replaced' }, token);
  }
}

function storedFiles() {
  const root = join(dataDir, 'attachments');
  const files = [];
  let dirs = [];
  try { dirs = readdirSync(root, { withFileTypes: true }); } catch { return files; }
  for (const dir of dirs) {
    if (!dir.isDirectory()) continue;
    for (const name of readdirSync(join(root, dir.name))) files.push(join(root, dir.name, name));
  }
  return files;
}

// The citizen gets several mails (registered, resolved, reopened) in no fixed
// order on disk, so wait for the one that matches, not the first one found.
async function waitForMail(address, wanted) {
  if (!maildir) return null;
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    for (const sub of ['new', 'cur']) {
      let names = [];
      try { names = readdirSync(join(maildir, sub)); } catch { continue; }
      for (const name of names) {
        const text = readFileSync(join(maildir, sub, name), 'utf8');
        if (text.includes(`To: ${address}`) && wanted(text)) return text;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no matching e-mail reached ${address}`);
}

const words = {
  bg: {
    search: 'осветление', topic: 'Улично осветление', sent: 'Сигналът е приет', summary: 'Има проблем',
    added: 'Информацията е добавена', confirmed: 'Благодарим, че потвърдихте', reopened: 'Сигналът е отворен отново',
    inProgress: 'В процес на работа', done: 'Свършено', district: 'Централен',
  },
  en: {
    search: 'street light', topic: 'Street lighting', sent: 'Your report has been received', summary: 'There is a problem',
    added: 'Your information has been added', confirmed: 'Thank you for confirming', reopened: 'The case has been reopened',
    inProgress: 'In progress', done: 'Done', district: 'Central',
  },
};

for (const lang of ['bg', 'en']) {
  test(`the whole journey without JavaScript, in ${lang === 'bg' ? 'Bulgarian' : 'English'}`, async () => {
    const w = words[lang];
    const checker = await launch({});
    const context = await launch({ javaScriptEnabled: false });
    try {
    const page = context.pages()[0] ?? await context.newPage();

    // Home, in the chosen language (Bulgarian is the default; English by the switch).
    await page.goto(base + '/');
    assert.equal(await page.getAttribute('html', 'lang'), 'bg');
    if (lang === 'en') {
      await page.click('a[hreflang="en"]');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
    }
    await checkAccessibility(checker, await page.content(), `home (${lang})`);
    await measure(checker, `/?lang=${lang}`, `home (${lang})`);

    // Find the topic with the server-side search.
    await page.click('a[href="/submit"] >> nth=0');
    await page.fill('#q', w.search);
    await page.click('form[role="search"] button');
    assert.ok(await page.isVisible(`label:has-text("${w.topic}")`));
    await checkAccessibility(checker, await page.content(), `submit (${lang})`);
    await measure(checker, `/submit?lang=${lang}`, `submit (${lang})`);

    // Sending it empty gives an error summary linked to the fields.
    await page.click('form[enctype] button[type="submit"]');
    assert.ok((await page.textContent('#errors')).includes(w.summary));
    assert.ok(await page.isVisible('#errors a[href="#description"]'));
    await checkAccessibility(checker, await page.content(), `submit errors (${lang})`);

    // A complete report with a photo.
    const address = `citizen-${lang}-${Date.now()}@example.bg`;
    await page.check('#category-street-lighting');
    await page.fill('#description', lang === 'bg' ? 'Не свети уличната лампа пред входа.' : 'The street light by the entrance is out.');
    await page.fill('#address', 'ул. „Гладстон“ 1');
    await page.selectOption('#district', { label: w.district });
    const photo = await photoWithExif(checker, lang === 'bg' ? '#3a6' : '#a36');
    const filesBefore = storedFiles().length;
    await page.setInputFiles('#photos', { name: 'IMG_2041.JPG', mimeType: 'image/jpeg', buffer: photo });
    await page.check('#contact-named');
    await page.fill('#name', 'Мария Иванова');
    await page.fill('#email', address);
    await page.check('#consent');
    const submitStarted = Date.now();
    await page.click('form[enctype] button[type="submit"]');
    const submitMs = Date.now() - submitStarted;
    assert.ok((await page.textContent('h1')).includes(w.sent));
    const reference = (await page.textContent('#reference')).trim();
    const code = (await page.textContent('#code')).trim();
    assert.match(reference, /^PLV-\d{4}-\d{6}$/);
    assert.match(code, /^[0-9a-f]{16}$/);
    await checkAccessibility(checker, await page.content(), `submitted (${lang})`);
    measurements.push({ name: `submit post with photo (${lang})`, bytes: (await page.content()).length, response: submitMs, dcl: '-', paint: '-' });

    // The stored photo lost its EXIF (and so its GPS position).
    const files = storedFiles();
    assert.equal(files.length, filesBefore + 1);
    const newest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    const stored = readFileSync(newest);
    assert.equal(stored.indexOf('Exif'), -1);
    assert.equal(stored.indexOf('GPSLatitude'), -1);
    assert.equal(stored[0], 0xFF); assert.equal(stored[1], 0xD8);

    // Track it with the private link.
    await page.click('#tracking-link');
    assert.ok((await page.textContent('h1')).includes(reference));
    await checkAccessibility(checker, await page.content(), `case (${lang})`);
    await measure(checker, `/track?ref=${reference}&code=${code}&lang=${lang}`, `case (${lang})`);

    // Add information with another photo.
    await page.fill('#message', lang === 'bg' ? 'Лампата мига и нощем.' : 'The lamp flickers at night too.');
    await page.setInputFiles('#photo', { name: 'more.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.click('#send-info');
    assert.ok((await page.textContent('#notice')).includes(w.added));
    assert.ok((await page.textContent('#timeline')).includes(lang === 'bg' ? 'Лампата мига' : 'flickers'));

    // The institutions finish; the citizen confirms.
    await finishAllParts(reference);
    await page.reload();
    assert.ok((await page.textContent('#parts')).includes(w.done));
    await checkAccessibility(checker, await page.content(), `case with resolution (${lang})`);
    await page.click('#confirm');
    assert.ok((await page.textContent('#notice')).includes(w.confirmed));

    // The citizen disputes instead: every finished part goes back to work.
    await page.fill('#reason', lang === 'bg' ? 'Лампата пак не свети.' : 'The lamp is still out.');
    await page.click('#dispute');
    assert.ok((await page.textContent('#notice')).includes(w.reopened));
    const parts = await page.textContent('#parts');
    assert.ok(parts.includes(w.inProgress) && !parts.includes(w.done), parts);
    assert.ok((await page.textContent('#timeline')).includes(lang === 'bg' ? 'Лампата пак не свети.' : 'The lamp is still out.'));

    // A wrong code looks like an unknown case.
    const wrong = await page.goto(`${base}/track?ref=${reference}&code=0000000000000000`);
    assert.equal(wrong.status(), 404);
    await checkAccessibility(checker, await page.content(), `track not found (${lang})`);
    await measure(checker, `/track?lang=${lang}`, `track form (${lang})`);

    // The registration e-mail arrived, in the citizen's language.
    // (Bulgarian subjects are RFC 2047-encoded, so only the English one is read as text.)
    const registered = `Subject: Case ${reference} has been registered`;
    await waitForMail(address, (text) => lang !== 'en' || text.includes(registered));
    } finally {
      await context.close();
      await checker.close();
    }
  });
}
