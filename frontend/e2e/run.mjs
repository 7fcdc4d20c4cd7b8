#!/usr/bin/env node
/* global window, document, axe */
// Browser journeys for Hanger, in Debian's headless Chromium driven by playwright-core.
//
//   node frontend/e2e/run.mjs [--json report.json] [--only <text>] [--no-build] [--update-docs]
//
// Starts the app the way `npm start` does (scripts/start.mjs, embedded runtime) on a free port
// with its data in a temporary directory, waits for /readyz, runs each journey, saves screenshots
// under frontend/e2e/screenshots/ and writes a vitest-like JSON report. A journey whose backend is
// missing fails with the reason; nothing is skipped silently.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const shotsDir = path.join(here, 'screenshots');
const fixtures = ['jacket-front.jpg', 'jacket-back.jpg'].map((f) => path.join(here, 'fixtures', f));

const args = process.argv.slice(2);
const argValue = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const jsonOut = argValue('--json');
const only = argValue('--only');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORTS = [
  { width: 390, height: 844, mobile: true },
  { width: 1280, height: 800, mobile: false },
];

// ---------------------------------------------------------------------------------------------
// Small helpers

class Failure extends Error {}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rand = (n = 6) =>
  Array.from(
    { length: n },
    () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 26)],
  ).join('');
function assert(cond, message) {
  if (!cond) throw new Failure(message);
}
async function eventually(what, fn, { timeout = 30_000, interval = 500 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Failure(
        `Timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ''}`,
      );
    }
    await sleep(interval);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The app under test

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hanger-e2e-'));
let server;
let base;
const serverLog = path.join(tmp, 'server.log');

async function startServer() {
  if (!args.includes('--no-build')) {
    const build = spawnSync('npm', ['run', 'build', '-w', 'frontend'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (build.status !== 0)
      throw new Error(`frontend build failed:\n${build.stdout}\n${build.stderr}`);
  }
  const port = await freePort();
  // The cookie-authenticated WebSocket checks Origin against PUBLIC_URL (localhost:PORT).
  base = `http://localhost:${port}`;
  const log = fs.openSync(serverLog, 'a');
  server = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HANGER_DATA_DIR: path.join(tmp, 'data'),
      NODE_ENV: 'development',
      PUBLIC_URL: base,
    },
    detached: true,
    stdio: ['ignore', log, log],
  });
  let exited = null;
  server.on('exit', (code) => (exited = code ?? -1));
  const end = Date.now() + 180_000;
  for (;;) {
    if (exited !== null) throw new Error(`the app exited with code ${exited} before it was ready`);
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error('the app did not report ready on /readyz within 180 s');
    await sleep(500);
  }
}

async function stopServer() {
  if (!server || server.exitCode !== null) return;
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 40 && server.exitCode === null; i++) await sleep(250);
  if (server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function serverLogTail(lines = 30) {
  try {
    return fs.readFileSync(serverLog, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// The API, used directly to set the scene quickly (Bearer tokens need no CSRF)

async function http(method, url, { token, body, headers = {} } = {}) {
  const res = await fetch(url.startsWith('http') ? url : `${base}/api/v1${url}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    throw new Failure(
      `${method} ${url} → ${res.status} ${json?.error?.code ?? ''} ${json?.error?.message ?? text.slice(0, 200)}`,
    );
  }
  return json;
}

function newUser(prefix) {
  const username = `${prefix}_${rand(6)}`;
  return { username, email: `${username}@example.test`, password: `Sturdy-pass-${rand(8)}` };
}

/** The newest verification link sent to `email`, read from the dev mailbox. */
async function verificationLink(email) {
  return eventually(`a verification mail to ${email} in the dev mailbox`, async () => {
    const res = await http('GET', `/dev/mailbox?to=${encodeURIComponent(email)}`);
    for (const m of res.data ?? []) {
      const match = /(https?:\/\/\S+)?(\/verify-email\?token=[^\s]+)/.exec(m.text);
      if (match) return match[2];
    }
    return undefined;
  });
}

async function apiSignup(prefix) {
  const user = newUser(prefix);
  await http('POST', '/auth/register', {
    body: { email: user.email, username: user.username, password: user.password },
  });
  const link = await verificationLink(user.email);
  const token = new URL(link, base).searchParams.get('token');
  const session = await http('POST', '/auth/verify-email', { body: { token, client: 'api' } });
  return { ...user, token: session.data.accessToken, id: session.data.user.id };
}

async function apiUpload(token, file) {
  const bytes = fs.readFileSync(file);
  const ticket = (
    await http('POST', '/uploads', {
      token,
      body: { contentType: 'image/jpeg', sizeBytes: bytes.length, purpose: 'item_image' },
    })
  ).data;
  const url = ticket.url.startsWith('http') ? ticket.url : `${base}${ticket.url}`;
  const res = await fetch(url, { method: 'PUT', headers: ticket.headers, body: bytes });
  if (!res.ok) throw new Failure(`PUT to storage → ${res.status} ${await res.text()}`);
  return ticket.id;
}

async function apiCreateItem(token, fields) {
  const ids = [];
  for (const f of fields.photos ?? [fixtures[0]]) ids.push(await apiUpload(token, f));
  const body = {
    title: fields.title,
    description: fields.description ?? 'Worn a handful of times, no flaws.',
    category: fields.category ?? 'outerwear',
    brand: fields.brand ?? 'Levi’s',
    size: fields.size ?? 'M',
    condition: fields.condition ?? 'good',
    priceCents: fields.priceCents ?? 4500,
    currency: 'EUR',
    location: { city: 'Lyon', country: 'FR' },
    tags: fields.tags ?? ['denim'],
    imageUploadIds: ids,
  };
  return (await http('POST', '/items', { token, body })).data;
}

// ---------------------------------------------------------------------------------------------
// The browser

const contexts = [];
async function newContext(viewport = VIEWPORTS[1]) {
  const dir = fs.mkdtempSync(path.join(tmp, 'chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: viewport.width, height: viewport.height },
    isMobile: false,
    locale: 'en-GB',
    timezoneId: 'Europe/Paris',
  });
  context.setDefaultTimeout(15_000);
  const errors = [];
  context.__errors = errors;
  context.on('page', (p) => watch(p, errors));
  for (const p of context.pages()) watch(p, errors);
  contexts.push(context);
  return { context, errors, page: context.pages()[0] ?? (await context.newPage()) };
}
function watch(page, errors) {
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
}

async function signUpViaUi(page, user) {
  await page.goto(`${base}/register`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page
    .getByRole('heading', { name: 'Check your email' })
    .waitFor({ timeout: 15_000 })
    .catch(async () => {
      const alert = await page.getByRole('alert').allTextContents();
      throw new Failure(
        `registration did not reach "Check your email" (${alert.join(' ') || 'no message'})`,
      );
    });
  const link = await verificationLink(user.email);
  await page.goto(`${base}${link}`);
  await page.waitForURL(`${base}/`, { timeout: 15_000 }).catch(async () => {
    throw new Failure(
      `verifying the email did not sign in and go home: ${await page.locator('main').innerText()}`,
    );
  });
  await page.getByRole('button', { name: `Account menu for ${user.username}` }).waitFor();
}

async function loginViaUi(page, user) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${base}/`, { timeout: 15_000 }).catch(async () => {
    throw new Failure(
      `login did not go home: ${(await page.getByRole('alert').allTextContents()).join(' ')}`,
    );
  });
}

/** Titles of the cards in a result grid, in order. */
async function cardTitles(page, listName) {
  return page.evaluate((name) => {
    const list = document.querySelector(`ul[aria-label="${name}"]`);
    if (!list) return [];
    return [...list.querySelectorAll('article img')].map((img) => img.getAttribute('alt'));
  }, listName);
}

async function imageLoaded(locator) {
  return locator.evaluate((img) => img.complete && img.naturalWidth > 0);
}

// Shared scene for the later tests (filled by journey 1, or seeded on demand).
const scene = {};
async function ensureScene() {
  if (scene.seller && scene.item) return scene;
  const seller = await apiSignup('scene');
  const item = await apiCreateItem(seller.token, {
    title: `Camel wool coat ${rand(4)}`,
    brand: 'COS',
    photos: fixtures,
    priceCents: 8900,
  });
  Object.assign(scene, { seller, item });
  return scene;
}

// ---------------------------------------------------------------------------------------------
// Journeys

const tests = [];
const test = (title, fn, timeout = 150_000) => tests.push({ title, fn, timeout });

test('journey 1: sign up, verify through the dev mailbox, list an item with two photos, find it with images in search and on its page', async () => {
  const { page } = await newContext();
  const user = newUser('seller');
  await signUpViaUi(page, user);

  await page.goto(`${base}/sell`);
  await page.getByRole('heading', { name: 'Sell an item' }).waitFor();
  await page.locator('input[type=file]').setInputFiles(fixtures);
  await eventually('both photos to finish uploading', async () => {
    const tiles = await page.getByTestId('upload-tile').allInnerTexts();
    if (tiles.some((t) => /could not|refused|failed|offline|wrong/i.test(t))) {
      throw new Failure(`an upload failed: ${tiles.join(' | ')}`);
    }
    return tiles.length === 2 && tiles.every((t) => /Processing|Ready/.test(t));
  });

  const word = `quokka${rand(5)}`;
  const title = `${word[0].toUpperCase()}${word.slice(1)} denim jacket`;
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page
    .getByLabel('Description', { exact: true })
    .fill('Boxy fit, washed indigo. Worn twice.');
  await page.getByLabel('Category', { exact: true }).selectOption('outerwear');
  await page.getByLabel('Brand', { exact: true }).fill('Levi’s');
  await page.getByLabel('Size', { exact: true }).fill('M');
  await page.getByLabel('Condition', { exact: true }).selectOption('like_new');
  await page.getByLabel('Price', { exact: true }).fill('45');
  await page.getByLabel('City', { exact: true }).fill('Lyon');
  await page.getByRole('button', { name: 'Publish listing' }).click();
  await page.waitForURL(/\/items\/[0-9a-f-]{36}$/, { timeout: 20_000 }).catch(async () => {
    throw new Failure(
      `publishing did not open the item page: ${(await page.getByRole('alert').allTextContents()).join(' ')}`,
    );
  });
  const itemId = page.url().split('/').pop();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();

  // The item page: both photos in the gallery, `medium` variants, really decoded.
  const gallery = page.locator('section[aria-roledescription="carousel"] img');
  await eventually(
    'two processed photos in the gallery',
    async () => (await gallery.count()) === 2,
    { timeout: 60_000 },
  );
  await eventually('the first photo to load', () => imageLoaded(gallery.nth(0)), {
    timeout: 30_000,
  });
  await page.getByRole('button', { name: 'Next photo' }).click();
  await eventually('the second photo to load', () => imageLoaded(gallery.nth(1)), {
    timeout: 30_000,
  });

  // Search: the new listing shows, with its thumbnail.
  await page.goto(`${base}/search?q=${word}`);
  const card = page.locator(`ul[aria-label="search results"] img[alt="${title}"]`);
  await eventually(
    'the listing in search results',
    async () => {
      if ((await cardTitles(page, 'search results')).includes(title)) return true;
      await page.reload();
      return false;
    },
    { timeout: 30_000, interval: 2000 },
  );
  await eventually('its thumbnail to load in the results', () => imageLoaded(card.first()));
  Object.assign(scene, { seller: { ...user }, item: { id: itemId, title }, sellerPage: page });
});

test('journey 2: a follower sees the item in the feed, likes and comments, and the seller’s badge updates live', async () => {
  const seller = await apiSignup('maker');
  const buyer = await apiSignup('buyer');
  const title = `Striped breton top ${rand(4)}`;

  const s = await newContext();
  await loginViaUi(s.page, seller);
  await s.page.evaluate(() => {
    window.__e2eNoReload = true;
  });
  const badge = s.page.locator('header [data-testid="unread-badge"]');
  assert((await badge.count()) === 0, 'the seller should start with no unread notifications');

  const b = await newContext();
  await loginViaUi(b.page, buyer);
  await b.page.goto(`${base}/u/${seller.username}`);
  await b.page.getByRole('button', { name: `Follow ${seller.username}` }).click();
  await b.page.getByRole('button', { name: `Unfollow ${seller.username}` }).waitFor();
  // The seller lists something new: fan-out on write puts it in the follower's timeline.
  const item = await apiCreateItem(seller.token, {
    title,
    category: 'tops',
    brand: 'Armor Lux',
    photos: [fixtures[1]],
  });

  await b.page.goto(`${base}/`);
  await eventually(
    'the item in the follower’s feed',
    async () => {
      if ((await cardTitles(b.page, 'items')).includes(title)) return true;
      await b.page.reload();
      return false;
    },
    { timeout: 30_000, interval: 2000 },
  );
  await b.page.getByRole('button', { name: `Like ${title}` }).click();
  await b.page.getByRole('button', { name: `Unlike ${title}` }).waitFor();

  await b.page.goto(`${base}/items/${item.id}`);
  await b.page
    .getByLabel('Add a comment')
    .fill('Is this still available? What are the measurements?');
  await b.page.getByRole('button', { name: 'Post comment' }).click();
  await b.page.getByText('Is this still available? What are the measurements?').waitFor();

  // The seller's page was never reloaded: the count arrives over the WebSocket.
  await eventually(
    'the seller’s unread badge to update live',
    async () => Number(await badge.innerText()) >= 1,
    {
      timeout: 20_000,
    },
  );
  assert(await s.page.evaluate(() => window.__e2eNoReload === true), 'the seller page reloaded');
  await s.page.getByRole('link', { name: /Notifications, \d+ unread/ }).click();
  await s.page.getByText(new RegExp(buyer.username)).first().waitFor();
});

test('journey 3: search filters live in the URL, and back/forward restore the same results', async () => {
  const seller = await apiSignup('closet');
  const word = `wombat${rand(5)}`;
  const specs = [
    { brand: 'Acne Studios', priceCents: 2000, size: 'S' },
    { brand: 'Acne Studios', priceCents: 6000, size: 'M' },
    { brand: 'Sandro', priceCents: 3500, size: 'M' },
    { brand: 'Ganni', priceCents: 8000, size: 'L' },
  ];
  for (const [i, spec] of specs.entries()) {
    await apiCreateItem(seller.token, {
      title: `${word} knit ${i + 1}`,
      category: 'knitwear',
      ...spec,
    });
  }
  const { page } = await newContext();
  await page.goto(`${base}/search?q=${word}`);
  const results = async () => (await cardTitles(page, 'search results')).sort();
  await eventually(
    'all four items in the results',
    async () => {
      if ((await results()).length === 4) return true;
      await page.reload();
      return false;
    },
    { timeout: 30_000, interval: 2000 },
  );
  const all = await results();

  // click(), not check(): the box is controlled by the URL, so its state flips only after the
  // navigation re-renders the panel, and check() would call that a failed click.
  await page.getByRole('checkbox', { name: /Acne Studios/ }).click();
  await page.waitForURL(/brand=Acne/);
  const byBrand = await eventually('the brand filter to apply', async () => {
    const r = await results();
    return r.length === 2 ? r : undefined;
  });

  await page.getByRole('textbox', { name: 'Max' }).fill('50');
  await page.getByRole('button', { name: 'Apply price' }).click();
  await page.waitForURL(/priceMax=50/);
  const byPrice = await eventually('the price filter to apply', async () => {
    const r = await results();
    return r.length === 1 ? r : undefined;
  });
  await page.getByRole('button', { name: 'Remove filter Price Up to 50' }).waitFor();

  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  await page.goBack();
  await eventually(
    'back to the brand-only results',
    async () => !page.url().includes('priceMax') && same(await results(), byBrand),
  );
  assert(
    (await page.getByRole('textbox', { name: 'Max' }).inputValue()) === '',
    'the price box should be empty again',
  );
  await page.goBack();
  await eventually(
    'back to the unfiltered results',
    async () => !page.url().includes('brand=') && same(await results(), all),
  );
  await page.goForward();
  await eventually('forward to the brand results', async () => same(await results(), byBrand));
  assert(
    await page.getByRole('checkbox', { name: /Acne Studios/ }).isChecked(),
    'the brand box should be ticked again',
  );
  await page.goForward();
  await eventually(
    'forward to the brand + price results',
    async () => page.url().includes('priceMax=50') && same(await results(), byPrice),
  );
});

test('on a phone, filters open in a bottom sheet that takes focus, applies and closes with Escape', async () => {
  const { page } = await newContext(VIEWPORTS[0]);
  await page.goto(`${base}/search`);
  const opener = page.getByRole('button', { name: /^Filters/ });
  await opener.click();
  const sheet = page.getByRole('dialog', { name: 'Filters' });
  await sheet.waitFor();
  assert(
    await sheet.evaluate((d) => d.contains(document.activeElement)),
    'focus should move into the sheet',
  );
  await sheet.getByRole('checkbox', { name: /Good/ }).click();
  await page.waitForURL(/condition=good/);
  await page.keyboard.press('Escape');
  await sheet.waitFor({ state: 'detached' });
  assert(
    await opener.evaluate((b) => b === document.activeElement),
    'focus should return to the Filters button',
  );
  await page.getByRole('button', { name: 'Remove filter Good' }).waitFor();
});

test('a protected page sends a visitor to log in and back', async () => {
  const user = await apiSignup('returning');
  const { page } = await newContext();
  await page.goto(`${base}/favorites`);
  await page.waitForURL(/\/login\?next=%2Ffavorites/);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${base}/favorites`);
  await page.getByRole('heading', { name: 'Favourites' }).waitFor();
});

test('accessibility: axe-core finds no serious or critical violations on the main pages', async () => {
  const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const problems = [];
  const check = async (page, label) => {
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await sleep(300);
    // page.evaluate is not subject to the app's CSP (script-src 'self'), an inline tag would be.
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${v.id} (${v.impact}): ${v.help} — ${v.nodes
              .slice(0, 3)
              .map((n) => n.target.join(' '))
              .join(', ')}`,
        );
    });
    for (const v of violations) problems.push(`${label}: ${v}`);
  };
  const visitor = await newContext();
  for (const p of ['/', '/search', '/login', '/register']) {
    await visitor.page.goto(`${base}${p}`);
    await check(visitor.page, `visitor ${p}`);
  }
  await visitor.page.setViewportSize({ width: 390, height: 844 });
  await visitor.page.goto(`${base}/`);
  await check(visitor.page, 'visitor / (390 px)');

  const { seller, item } = await ensureScene();
  const signedIn = await newContext();
  await loginViaUi(signedIn.page, seller);
  for (const p of [
    '/',
    `/items/${item.id}`,
    '/sell',
    `/u/${seller.username}`,
    '/notifications',
    '/settings',
  ]) {
    await signedIn.page.goto(`${base}${p}`);
    await check(signedIn.page, `signed in ${p}`);
  }
  // Dark mode (prefers-color-scheme) must keep AA contrast too.
  await signedIn.page.emulateMedia({ colorScheme: 'dark' });
  for (const p of ['/', `/items/${item.id}`, '/sell', '/search']) {
    await signedIn.page.goto(`${base}${p}`);
    await check(signedIn.page, `dark ${p}`);
  }
  assert(
    problems.length === 0,
    `${problems.length} serious/critical violation(s):\n${problems.join('\n')}`,
  );
});

test('screenshots of home, search, item, sell and profile at 390×844 and 1280×800', async () => {
  fs.mkdirSync(shotsDir, { recursive: true });
  const { seller, item } = await ensureScene();
  const { page } = await newContext();
  await loginViaUi(page, seller);
  const pages = {
    home: '/',
    search: '/search',
    item: `/items/${item.id}`,
    sell: '/sell',
    profile: `/u/${seller.username}`,
  };
  const written = [];
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    for (const [name, p] of Object.entries(pages)) {
      await page.goto(`${base}${p}`);
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await page
        .waitForFunction(
          () => [...document.images].filter((i) => i.loading !== 'lazy').every((i) => i.complete),
          null,
          {
            timeout: 10_000,
          },
        )
        .catch(() => undefined);
      await sleep(400);
      const file = path.join(shotsDir, `${name}-${vp.width}x${vp.height}.png`);
      await page.screenshot({ path: file });
      written.push(file);
    }
  }
  if (args.includes('--update-docs')) {
    const docs = path.join(root, 'docs/screenshots');
    fs.mkdirSync(docs, { recursive: true });
    for (const f of [
      'home-1280x800',
      'search-1280x800',
      'item-1280x800',
      'home-390x844',
      'item-390x844',
      'sell-390x844',
    ]) {
      fs.copyFileSync(path.join(shotsDir, `${f}.png`), path.join(docs, `${f}.png`));
    }
  }
  assert(written.length === 10, `expected 10 screenshots, wrote ${written.length}`);
});

// ---------------------------------------------------------------------------------------------
// Runner

async function withTimeout(promise, ms, title) {
  let t;
  const timeout = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Failure(`"${title}" took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(t);
  }
}

async function main() {
  const startTime = Date.now();
  const results = [];
  const selected = tests.filter((t) => !only || t.title.includes(only));
  let setupError = null;
  if (!fs.existsSync(CHROMIUM))
    setupError = `Chromium not found at ${CHROMIUM} (apt-get install chromium)`;
  if (!setupError) {
    try {
      await startServer();
      console.log(`app ready at ${base} (data in ${tmp})`);
    } catch (e) {
      setupError = `could not start the app: ${e.message}\n${serverLogTail()}`;
    }
  }
  for (const t of selected) {
    const started = Date.now();
    if (setupError) {
      results.push({
        title: t.title,
        status: 'failed',
        duration: 0,
        failureMessages: [setupError],
      });
      console.log(`✗ ${t.title}\n    ${setupError.split('\n')[0]}`);
      continue;
    }
    const before = contexts.length;
    try {
      await withTimeout(t.fn(), t.timeout, t.title);
      results.push({
        title: t.title,
        status: 'passed',
        duration: Date.now() - started,
        failureMessages: [],
      });
      console.log(`✓ ${t.title} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      let message = e instanceof Failure ? e.message : (e?.stack ?? String(e));
      const pageErrors = contexts.slice(before).flatMap((c) => c.__errors ?? []);
      if (pageErrors.length)
        message += `\nin the browser:\n${[...new Set(pageErrors)].slice(0, 5).join('\n')}`;
      results.push({
        title: t.title,
        status: 'failed',
        duration: Date.now() - started,
        failureMessages: [message],
      });
      console.log(`✗ ${t.title}\n    ${message.split('\n').join('\n    ')}`);
      // Keep a picture of where it stopped.
      for (const c of contexts.slice(before)) {
        const p = c.pages()[0];
        if (p) {
          fs.mkdirSync(shotsDir, { recursive: true });
          const name = `failed-${tests.indexOf(t) + 1}-${contexts.indexOf(c)}.png`;
          await p.screenshot({ path: path.join(shotsDir, name) }).catch(() => undefined);
        }
      }
    } finally {
      // Journeys are independent: close the browsers they opened (journey 1's page stays for the scene).
      for (const c of contexts.splice(before)) {
        if (scene.sellerPage && c.pages().includes(scene.sellerPage)) {
          contexts.push(c);
          continue;
        }
        await c.close().catch(() => undefined);
      }
    }
  }
  for (const c of contexts) await c.close().catch(() => undefined);
  await stopServer();

  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.length - passed;
  const report = {
    numTotalTestSuites: 1,
    numPassedTestSuites: failed ? 0 : 1,
    numFailedTestSuites: failed ? 1 : 0,
    numPendingTestSuites: 0,
    numTotalTests: results.length,
    numPassedTests: passed,
    numFailedTests: failed,
    numPendingTests: 0,
    numTodoTests: 0,
    startTime,
    success: failed === 0,
    testResults: [
      {
        name: path.join(root, 'frontend/e2e/run.mjs'),
        status: failed ? 'failed' : 'passed',
        startTime,
        endTime: Date.now(),
        message: setupError ?? '',
        assertionResults: results.map((r) => ({
          ancestorTitles: ['browser journeys'],
          fullName: `browser journeys ${r.title}`,
          title: r.title,
          status: r.status,
          duration: r.duration,
          failureMessages: r.failureMessages,
        })),
      },
    ],
  };
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(report, null, 2));
  console.log(`\n${passed} passed, ${failed} failed`);
  if (failed && fs.existsSync(serverLog))
    console.log(`server log (last lines):\n${serverLogTail(15)}`);
  if (!args.includes('--keep')) fs.rmSync(tmp, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    void stopServer().finally(() => process.exit(130));
  });
}

await main();
