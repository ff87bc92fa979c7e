/**
 * What people see, in a real browser: Debian's Chromium, driven by puppeteer-core, opens the
 * mails the real RPC handler sent (through the local SES) and the page their link opens, at a
 * desktop width (1200 px) and a phone width (390 px, with a phone's viewport handling), in
 * English and Chinese. Screenshots of each go to test-output/screenshots/.
 *
 *   npm run test:browser   (needs `chromium` and `fonts-noto-cjk`: apt-get install -y chromium fonts-noto-cjk)
 *
 * The browser is given the chromium binary from CHROMIUM_PATH, else `chromium` on the PATH.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Lang } from '../../src/domain/lang.js';
import { freshAddress } from '../support/fresh-address.js';
import { popCoreClient, startRpcTestApi, type RpcTestApi } from '../support/rpc-clients.js';
import { extractCode, extractLink, waitForMailTo } from '../support/ses-inbox.js';

const PRODUCT = 'Acme Shop';
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

interface Width {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** A phone: the page is laid out by its viewport meta (or at 980 px without one) and scaled to fit. */
  readonly isMobile: boolean;
}
const DESKTOP: Width = { name: '1200', width: 1200, height: 900, isMobile: false };
const PHONE: Width = { name: '390', width: 390, height: 844, isMobile: true };

let api: RpcTestApi;
let browser: Browser;
let profile: string;

function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed: apt-get install -y chromium fonts-noto-cjk (or set CHROMIUM_PATH)');
  }
}

beforeAll(async () => {
  api = await startRpcTestApi({ env: { PRODUCT_NAME: PRODUCT } });
  profile = mkdtempSync(path.join(tmpdir(), 'chromium-profile-'));
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function pageAt(width: Width, acceptLanguage?: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: width.width, height: width.height, isMobile: width.isMobile, hasTouch: width.isMobile, deviceScaleFactor: 1 });
  if (acceptLanguage) await page.setExtraHTTPHeaders({ 'Accept-Language': acceptLanguage });
  return page;
}

interface Measured {
  /** The smallest text on the page, in CSS px as the reader sees it (computed size times the zoom). */
  readonly smallestTextPx: number;
  /** The button's height as the reader sees it, if there is one. */
  readonly buttonPx?: number;
  readonly text: string;
  readonly lang: string;
  /** Wider than the screen: the reader must scroll sideways. */
  readonly overflows: boolean;
}

// The page's globals inside page.evaluate, declared for this file only (the project's type-check
// has no DOM library, and must not: the handlers run in Node).
declare const window: any;
declare const document: any;
declare const NodeFilter: any;
declare function getComputedStyle(element: unknown): { fontSize: string };

/** What the reader sees: sizes scaled by the zoom a phone applies to fit the layout on screen. */
function measure(page: Page, buttonSelector: string): Promise<Measured> {
  return page.evaluate((selector) => {
    const scale = window.visualViewport?.scale ?? 1;
    const sizes: number[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || node.textContent!.trim() === '' || parent.getClientRects().length === 0) continue;
      sizes.push(parseFloat(getComputedStyle(parent).fontSize) * scale);
    }
    const button = document.querySelector(selector);
    return {
      smallestTextPx: Math.min(...sizes),
      ...(button ? { buttonPx: button.getBoundingClientRect().height * scale } : {}),
      text: document.body.innerText,
      lang: document.documentElement.lang,
      overflows: document.documentElement.scrollWidth > window.innerWidth + 1,
    };
  }, buttonSelector);
}

const status = async (address: string) =>
  (await popCoreClient(api.baseUrl, api.key).request<{ VerificationStatus: number }>('QueryEmailVerification', { Email: address })).VerificationStatus;

/** Submits `address` in `lang` and returns the mail it got. */
async function mailed(address: string, lang: Lang) {
  await popCoreClient(api.baseUrl, api.key).request('SubmitEmailVerification', { Email: address, Lang: lang }, { method: 'POST' });
  return waitForMailTo(address);
}

describe.each([
  ['en', 'en-US,en;q=0.9', 'zh-CN,zh;q=0.9', 'Verify my email address', '验证我的邮箱地址', '请确认'],
  ['zh', 'zh-CN,zh;q=0.9', 'en-US,en;q=0.9', '验证我的邮箱地址', 'Verify my email address', 'Confirm that'],
] as const)('%s', (lang, ownLanguage, otherLanguage, mailButton, pageButton, pageIntro) => {
  const address = freshAddress(`browser-${lang}`);
  let mail: Awaited<ReturnType<typeof mailed>>;

  beforeAll(async () => {
    mail = await mailed(address, lang);
  });

  test.each([DESKTOP, PHONE])('the mail at $name px: product, address, code, a big enough button, readable text', async (width) => {
    const page = await pageAt(width, ownLanguage);
    await page.setContent(mail.body.html!, { waitUntil: 'load' });
    const seen = await measure(page, 'a[href*="/email-verification?token="]');
    await page.screenshot({ path: path.join(SCREENSHOTS, `mail-${lang}-${width.name}.png`), fullPage: true });
    await page.close();

    expect(seen.lang).toBe(lang === 'zh' ? 'zh-CN' : 'en');
    expect(seen.text).toContain(PRODUCT);
    expect(seen.text).toContain(address);
    expect(seen.text).toContain(extractCode(mail));
    expect(seen.text).toContain(mailButton);
    expect(seen.smallestTextPx).toBeGreaterThanOrEqual(14);
    expect(seen.buttonPx).toBeGreaterThanOrEqual(44);
    expect(seen.overflows).toBe(false);
  });

  test("the link's page: GET shows the product and the address in the browser's language and verifies nothing; the button verifies", async () => {
    const link = extractLink(mail);
    expect(new URL(link).searchParams.get('lang')).toBe(lang);
    // Opened by a browser that prefers the other language: the page follows the browser.
    for (const width of [DESKTOP, PHONE]) {
      const page = await pageAt(width, otherLanguage);
      const response = await page.goto(link, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      const seen = await measure(page, 'button[type="submit"]');
      await page.screenshot({ path: path.join(SCREENSHOTS, `page-${lang === 'en' ? 'zh' : 'en'}-${width.name}.png`), fullPage: true });
      await page.close();
      expect(seen.text).toContain(PRODUCT);
      expect(seen.text).toContain(address);
      expect(seen.text).toContain(pageButton);
      expect(seen.text).toContain(pageIntro);
      expect(seen.smallestTextPx).toBeGreaterThanOrEqual(14);
      expect(seen.buttonPx).toBeGreaterThanOrEqual(44);
      expect(seen.overflows).toBe(false);
    }
    // Two GETs (as a link scanner and the person would make): still pending.
    expect(await status(address)).toBe(0);

    // The person presses the button, on a phone.
    const page = await pageAt(PHONE, otherLanguage);
    await page.goto(link, { waitUntil: 'load' });
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.tap('button[type="submit"]')]);
    const done = await measure(page, 'button');
    await page.screenshot({ path: path.join(SCREENSHOTS, `page-verified-${lang === 'en' ? 'zh' : 'en'}-390.png`), fullPage: true });
    await page.close();
    expect(done.text).toContain(lang === 'en' ? '邮箱验证成功' : 'Email address verified');
    expect(done.text).toContain(address);
    expect(done.smallestTextPx).toBeGreaterThanOrEqual(14);
    expect(await status(address)).toBe(1);
  });
});
