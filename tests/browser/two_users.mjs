// End-to-end test of the web client (plugins/gateway/web/) in Chromium against a running lanchat node.
//
// usage: node two_users.mjs URL USER_A PASS_A USER_B PASS_B
//   URL is the node's client edge, e.g. https://127.0.0.1:8443/ ; both users must already exist
//   (the harness creates them with lanchatctl). Set CHROMIUM to use another browser binary and
//   BROWSER_TEST_ARTIFACTS to a directory for the phone layout's screenshots and, when a step fails,
//   a screenshot of each page.
//
// Two separate browser contexts (separate storage, separate sockets) play user A and user B; each step
// prints one line, and the first failure ends the run with exit code 1.
import { chromium } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const STEP_MS = 15000;
const PHONE = { width: 360, height: 740 };

const [url, userA, passA, userB, passB] = process.argv.slice(2);
if (!passB) {
  console.error('usage: node two_users.mjs URL USER_A PASS_A USER_B PASS_B');
  process.exit(2);
}

const tag = randomBytes(3).toString('hex');
const lobby = `lobby-${tag}`;
const problems = [];  // page errors and CSP violations, collected from both pages
const requestsSent = new Map();  // page -> the `type` of every frame it sent

let stepNumber = 0;
let currentStep = '';

// Runs one step with its own time limit and prints a line for it.
async function step(name, fn) {
  stepNumber++;
  currentStep = name;
  const started = Date.now();
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${STEP_MS / 1000} s`)), STEP_MS);
  });
  try {
    await Promise.race([fn(), deadline]);
  } finally {
    clearTimeout(timer);
  }
  if (problems.length) throw new Error(`the page reported errors:\n  ${problems.join('\n  ')}`);
  console.log(`ok ${stepNumber} - ${name} (${Date.now() - started} ms)`);
}

const byTestId = (page, id, extra = '') => page.locator(`[data-testid="${id}"]${extra}`);

function watchPage(page, who) {
  requestsSent.set(page, []);
  page.on('websocket', (ws) => ws.on('framesent', (frame) => {
    try { requestsSent.get(page).push(JSON.parse(frame.payload).type); } catch { /* not ours */ }
  }));
  page.on('pageerror', (err) => problems.push(`${who}: uncaught ${err.message}`));
  page.on('dialog', (dialog) => {  // a message's content ran script
    problems.push(`${who}: a ${dialog.type()} dialog opened: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('console', (msg) => {
    // A CSP violation means the page does something the node's policy forbids (inline script/style…).
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) {
      problems.push(`${who}: ${msg.text()}`);
    }
  });
}

async function waitConnected(page) {
  await byTestId(page, 'connection-status', '[data-state="connected"]').waitFor();
}

async function login(page, username, password) {
  await page.goto(url);
  await byTestId(page, 'login-username').fill(username);
  await byTestId(page, 'login-password').fill(password);
  await byTestId(page, 'login-submit').click();
  await waitConnected(page);
  await byTestId(page, 'composer').waitFor();  // the chat view is showing
}

function messageBody(page, text) {
  return page.locator('[data-testid="message-list"] [data-testid="message-body"]').getByText(text, { exact: true });
}

async function openChannel(page, name) {
  await byTestId(page, 'channel-item', `[data-channel-name="${name}"]`).click();
  await page.locator('[data-testid="composer"]:enabled').waitFor();
}

async function send(page, text) {
  const composer = byTestId(page, 'composer');
  await composer.fill(text);
  await composer.press('Enter');
  await messageBody(page, text).waitFor();  // acknowledged and shown to the sender
}

async function userId(page) {
  return page.evaluate(() => window.__lanchat.user.id);
}

async function waitForTexts(page, texts) {
  await page.waitForFunction((wanted) => {
    const bodies = [...document.querySelectorAll('[data-testid="message-list"] [data-testid="message-body"]')]
      .map((node) => node.textContent);
    return wanted.every((text) => bodies.includes(text));
  }, texts);
}

// Every text once, in the given order, and the whole list strictly ordered by sequence (no duplicates).
async function expectExactlyOnceInOrder(page, texts) {
  await page.waitForTimeout(500);  // a duplicate push would show up right after the original
  const shown = await page.$$eval('[data-testid="message-list"] [data-testid="message"]', (nodes) =>
    nodes.map((node) => ({
      seq: Number(node.dataset.sequence),
      body: node.querySelector('[data-testid="message-body"]').textContent,
    })));
  for (let i = 1; i < shown.length; i++) {
    if (!(shown[i].seq > shown[i - 1].seq)) {
      throw new Error(`message list not strictly ordered by sequence at ${i}: ${shown[i - 1].seq} then ${shown[i].seq}`);
    }
  }
  let last = -1;
  for (const text of texts) {
    const at = shown.map((m, i) => (m.body === text ? i : -1)).filter((i) => i >= 0);
    if (at.length !== 1) throw new Error(`"${text}" shown ${at.length} times, expected once`);
    if (at[0] < last) throw new Error(`"${text}" is out of order`);
    last = at[0];
  }
}

async function waitPresence(page, id, status) {
  await page.waitForFunction(([user, wanted]) => {
    const dots = [...document.querySelectorAll(`[data-testid="presence-dot"][data-user-id="${user}"]`)];
    return dots.length > 0 && dots.every((dot) => dot.dataset.status === wanted);
  }, [id, status]);
}

// Elements that stick out of the viewport (left or right) or are wider than it; the page must not scroll
// sideways either.
async function overflowing(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width) out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px)`);
    for (const node of document.querySelectorAll('body *')) {
      const box = node.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;  // not shown
      if (box.left < -1 || box.right > width + 1) {
        out.push(`${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}.${node.className}: ${Math.round(box.left)}..${Math.round(box.right)}`);
      }
    }
    return out;
  });
}

async function expectNothingWiderThanTheViewport(page, screenshot) {
  if (process.env.BROWSER_TEST_ARTIFACTS) {
    mkdirSync(process.env.BROWSER_TEST_ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(process.env.BROWSER_TEST_ARTIFACTS, screenshot) });
  }
  const out = await overflowing(page);
  if (out.length) throw new Error(`wider than the ${PHONE.width} px viewport:\n    ${out.slice(0, 10).join('\n    ')}`);
}

async function expectBanner(page, text) {
  await byTestId(page, 'error-banner').getByText(text, { exact: true }).waitFor();
}

async function errorBannerText(page) {
  const banner = byTestId(page, 'error-banner');
  return (await banner.isVisible()) ? (await banner.textContent()).trim() : '';
}

async function describe(page, who) {
  try {
    const status = await byTestId(page, 'connection-status').getAttribute('data-state', { timeout: 1000 });
    const banner = await errorBannerText(page);
    return `${who}: connection ${status}${banner ? `, error banner "${banner}"` : ''}, at ${page.url()}`;
  } catch (err) {
    return `${who}: (no state: ${err.message.split('\n')[0]})`;
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const pages = {};
try {
  // The node's certificate comes from the LAN's own CA, which this browser does not know.
  for (const who of ['A', 'B']) {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    context.setDefaultTimeout(STEP_MS - 1000);  // Playwright's own errors say more than ours
    pages[who] = await context.newPage();
    watchPage(pages[who], who);
  }
  const a = pages.A;
  const b = pages.B;
  const hello = `hello from A ${tag}`;
  const reply = `reply from B ${tag}`;
  const offline = [1, 2, 3].map((i) => `while A was offline ${i} ${tag}`);
  const reloading = [1, 2, 3].map((i) => `while A reloaded ${i} ${tag}`);
  let idA;
  let idB;

  await step(`A signs in as ${userA}`, async () => {
    await login(a, userA, passA);
    idA = await userId(a);
  });

  await step(`A creates the public channel ${lobby}`, async () => {
    await byTestId(a, 'new-channel-name').fill(lobby);
    await byTestId(a, 'new-channel-kind').selectOption('public');
    await byTestId(a, 'new-channel-submit').click();
    await openChannel(a, lobby);
  });

  await step(`B signs in as ${userB} and learns his memberships in one request, not one per channel`, async () => {
    await login(b, userB, passB);
    idB = await userId(b);
    await byTestId(b, 'refresh-channels').click();  // lists the channels, and which are his, again
    await byTestId(b, 'join-channel', `[data-channel-name="${lobby}"]`).waitFor();
    const sent = requestsSent.get(b);
    if (!sent.includes('channels.mine') || sent.includes('channels.members')) {
      throw new Error(`requests sent: ${sent.join(', ')}`);
    }
  });

  await step(`B joins ${lobby} from the channel listing`, async () => {
    await byTestId(b, 'refresh-channels').click();
    await byTestId(b, 'join-channel', `[data-channel-name="${lobby}"]`).click();
    await openChannel(b, lobby);
  });

  await step('A is told in sentences, not codes, and the banner clears when the next action succeeds', async () => {
    await byTestId(a, 'new-channel-name').fill('two words');
    await byTestId(a, 'new-channel-submit').click();
    await expectBanner(a, 'A channel name is one word: join words with - or _.');
    await byTestId(a, 'dm-username').fill(`nobody-${tag}`);
    await byTestId(a, 'dm-submit').click();
    await expectBanner(a, 'There is no user of that name.');
    await byTestId(a, 'new-channel-name').fill(`side-${tag}`);
    await byTestId(a, 'new-channel-submit').click();
    await byTestId(a, 'error-banner').waitFor({ state: 'hidden' });
    await byTestId(a, 'channel-item', `[data-channel-name="side-${tag}"]`).waitFor();
    await openChannel(a, lobby);
  });

  await step('A sends a message and B sees it', async () => {
    await send(a, hello);
    await messageBody(b, hello).waitFor();
  });

  await step('B types and A sees the typing notice', async () => {
    await byTestId(b, 'composer').pressSequentially('…');
    await byTestId(a, 'typing').getByText(/is typing/).waitFor();
  });

  await step('B replies and A sees it', async () => {
    await send(b, reply);
    await messageBody(a, reply).waitFor();
  });

  await step('A sends hostile Markdown: B sees the formatting and one safe link, and nothing runs', async () => {
    const hostile = `**bold ${tag}** _it_ \`<b>code</b>\` <img src=x onerror=alert(1)><script>alert(2)</script> ` +
      '[click](javascript:alert(3)) [x](https://ok.example/"onclick="alert(4)) https://example.com/x. :tada:';
    const composer = byTestId(a, 'composer');
    await composer.fill(hostile);
    await composer.press('Enter');
    const body = b.locator('[data-testid="message-body"]', { has: b.locator('strong', { hasText: `bold ${tag}` }) });
    await body.waitFor();
    const shown = await body.evaluate((node) => ({
      elements: [...node.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
      links: [...node.querySelectorAll('a')].map((e) => ({ href: e.getAttribute('href'), rel: e.rel, target: e.target,
        attributes: e.getAttributeNames().sort().join(',') })),
      code: node.querySelector('code').textContent,
      em: node.querySelector('em').textContent,
      text: node.textContent,
    }));
    const unexpected = shown.elements.filter((tag) => !['p', 'strong', 'em', 'code', 'a'].includes(tag));
    if (unexpected.length) throw new Error(`elements from the content: ${unexpected.join(', ')}`);
    if (shown.code !== '<b>code</b>' || shown.em !== 'it') throw new Error(`formatting: ${JSON.stringify(shown)}`);
    const hrefs = shown.links.map((l) => l.href);
    if (hrefs.join(' ') !== 'https://ok.example/%22onclick=%22alert(4 https://example.com/x') {
      throw new Error(`links: ${JSON.stringify(shown.links)}`);
    }
    for (const link of shown.links) {
      if (link.rel !== 'noopener noreferrer' || link.target !== '_blank' || link.attributes !== 'href,rel,target') {
        throw new Error(`link attributes: ${JSON.stringify(link)}`);
      }
    }
    for (const part of ['<img src=x onerror=alert(1)>', '<script>alert(2)</script>', '[click](javascript:alert(3))', '🎉']) {
      if (!shown.text.includes(part)) throw new Error(`"${part}" is not shown as text: ${shown.text}`);
    }
  });

  await step('A edits a message: Escape cancels, Enter saves, and B sees the edit', async () => {
    await send(a, `edit me ${tag}`);
    const seq = await a.locator('[data-testid="message"]', { hasText: `edit me ${tag}` }).getAttribute('data-sequence');
    const mine = a.locator(`[data-testid="message"][data-sequence="${seq}"]`);
    const startEditing = async () => {
      await mine.hover();
      await mine.locator('button[data-action="edit"]').click();
      return mine.locator('textarea');
    };
    let box = await startEditing();
    await box.fill('never saved');
    await box.press('Escape');
    await messageBody(a, `edit me ${tag}`).waitFor();
    box = await startEditing();
    await box.fill(`edited ${tag}`);
    await box.press('Enter');
    await messageBody(b, `edited ${tag}`).waitFor();
    await messageBody(a, `edited ${tag}`).waitFor();
  });

  await step('each sees the other online', async () => {
    await Promise.all([waitPresence(a, idB, 'online'), waitPresence(b, idA, 'online')]);
  });

  await step('B writes to A from the member list: a direct conversation opens', async () => {
    await b.locator(`[data-testid="member-list"] [data-testid="message-member"][data-user-id="${idA}"]`).click();
    await byTestId(b, 'conv-title').getByText(/^@/).waitFor();
    await byTestId(b, 'channel-item', '[data-channel-name*=","]').waitFor();  // a direct channel, named by its pair
    await openChannel(b, lobby);
  });

  await step('B picks the dark theme, then goes back to the system\'s', async () => {
    await byTestId(b, 'theme-select').selectOption('dark');
    const dark = await b.evaluate(() => [document.documentElement.dataset.theme, getComputedStyle(document.body).backgroundColor]);
    if (dark[0] !== 'dark' || dark[1] !== 'rgb(22, 24, 29)') throw new Error(`dark theme: ${dark}`);
    await byTestId(b, 'theme-select').selectOption('system');
    const system = await b.evaluate(() => document.documentElement.dataset.theme);
    if (system !== undefined) throw new Error(`system theme left data-theme=${system}`);
  });

  await step('B sets away and A sees B away', async () => {
    await byTestId(b, 'status-select').selectOption('away');
    await waitPresence(a, idB, 'away');
  });

  await step("A's connection drops (reconnect held back)", async () => {
    await a.evaluate(() => {
      window.__lanchat.holdReconnect(true);
      window.__lanchat.socket.close();
    });
    await byTestId(a, 'connection-status', ':not([data-state="connected"])').waitFor();
  });

  await step('B sends 3 messages while A is offline', async () => {
    for (const text of offline) await send(b, text);
  });

  await step('A reconnects and has the 3 messages exactly once, in order', async () => {
    await a.evaluate(() => window.__lanchat.holdReconnect(false));
    await waitConnected(a);
    await waitForTexts(a, offline);
    await expectExactlyOnceInOrder(a, [hello, reply, ...offline]);
  });

  await step('A reloads the page while B sends 3 more messages', async () => {
    const reload = a.reload();
    for (const text of reloading) await send(b, text);
    await reload;
  });

  await step('after the reload A resumed its session and has everything exactly once, in order', async () => {
    await waitConnected(a);
    await waitForTexts(a, [...offline, ...reloading]);
    await expectExactlyOnceInOrder(a, [hello, reply, ...offline, ...reloading]);
  });

  let phone;
  await step(`on a ${PHONE.width} px phone A signs in: the header fits and the channels are in a drawer`, async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: PHONE, isMobile: true, hasTouch: true });
    context.setDefaultTimeout(STEP_MS - 1000);
    phone = pages.phone = await context.newPage();
    watchPage(phone, 'phone');
    await login(phone, userA, passA);
    await phone.locator('[data-testid="composer"]:enabled').waitFor();
    if (await byTestId(phone, 'sidebar').isVisible()) throw new Error('the channel list covers the conversation');
    await expectNothingWiderThanTheViewport(phone, 'phone-conversation.png');
    await byTestId(phone, 'drawer-toggle').click();
    await byTestId(phone, 'channel-item', `[data-channel-name="${lobby}"]`).waitFor();
    await expectNothingWiderThanTheViewport(phone, 'phone-drawer.png');
    await byTestId(phone, 'channel-item', `[data-channel-name="${lobby}"]`).click();
    await byTestId(phone, 'sidebar').waitFor({ state: 'hidden' });
    await byTestId(phone, 'conv-title').getByText(`#${lobby}`).waitFor();
  });

  await step('on the phone Enter adds a line and the Send button sends', async () => {
    const composer = byTestId(phone, 'composer');
    await composer.fill(`two lines ${tag}`);
    await composer.press('Enter');
    await composer.pressSequentially('second');
    const value = await composer.inputValue();
    if (value !== `two lines ${tag}\nsecond`) throw new Error(`the composer holds ${JSON.stringify(value)}`);
    if (await byTestId(phone, 'pending-message').count()) throw new Error('Enter sent the message');
    await byTestId(phone, 'send').click();
    await messageBody(b, `two lines ${tag}\nsecond`).waitFor();
  });

  await step('on the phone long words and addresses wrap', async () => {
    const long = `${'w'.repeat(300)} https://example.com/${'p'.repeat(300)} \`${'c'.repeat(200)}\``;
    await send(b, long.replace(/`/g, ''));
    await messageBody(phone, long.replace(/`/g, '')).waitFor();
    await byTestId(b, 'composer').fill(`\`\`\`\n${'x'.repeat(200)}\n\`\`\``);
    await byTestId(b, 'composer').press('Enter');
    await phone.locator('[data-testid="message-body"] pre').getByText('x'.repeat(200)).waitFor();
    await expectNothingWiderThanTheViewport(phone, 'phone-long-words.png');
  });

  await step('no error banner on any page', async () => {
    for (const [who, page] of Object.entries(pages)) {
      const text = await errorBannerText(page);
      if (text) throw new Error(`${who} shows the error banner: ${text}`);
    }
  });

  console.log(`PASS: ${stepNumber} steps`);
} catch (err) {
  console.error(`FAIL step ${stepNumber} - ${currentStep}: ${err.message}`);
  for (const [who, page] of Object.entries(pages)) {
    console.error(`  ${await describe(page, who)}`);
    if (process.env.BROWSER_TEST_ARTIFACTS) {
      try {
        mkdirSync(process.env.BROWSER_TEST_ARTIFACTS, { recursive: true });
        const file = join(process.env.BROWSER_TEST_ARTIFACTS, `two_users-${who}.png`);
        await page.screenshot({ path: file, timeout: 3000 });
        console.error(`  screenshot: ${file}`);
      } catch { /* best effort */ }
    }
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
