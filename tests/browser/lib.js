// Shared by every *.test.js: the environment tests/browser/run gives each
// file (a fresh daemon and state dir), chromium with Debian's flags, SQL on
// the test's DB, screenshots, and one wrapper that logs in as the admin,
// runs the test body and reports.
'use strict';
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const path = require('path');

const env = {
	base: process.env.BASE_URL,
	db: process.env.DB,
	state: process.env.STATE,
	config: process.env.CONFIG,
	ctl: process.env.CTL,
	artifacts: process.env.ARTIFACTS,
	adminPassword: process.env.ADMIN_PASSWORD || 'browser-admin-pw',
};

function sql(statement) {
	execFileSync('sqlite3', [env.db, statement]);
}

function sql1(query) {
	return execFileSync('sqlite3', [env.db, query]).toString().trim();
}

// left4mectl against the test's config; stdout.
function ctl(args, input) {
	return execFileSync(env.ctl, ['-c', env.config, ...args],
		{ input: input === undefined ? '' : input }).toString();
}

async function shot(page, name) {
	await page.screenshot({ path: path.join(env.artifacts, name + '.png'), fullPage: true });
}

async function login(page, user, password) {
	await page.goto(env.base + '/login');
	await page.fill('input[name=username]', user);
	await page.fill('input[name=password]', password);
	await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

// Runs body(page, ctx, errors) in a fresh chromium profile; a failure
// leaves NAME-failure.png and sets the exit code.
function run(name, body) {
	(async () => {
		const ctx = await chromium.launchPersistentContext(process.env.USER_DATA, {
			executablePath: '/usr/bin/chromium',
			headless: true,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
				'--no-first-run', '--disable-background-networking',
				'--disable-component-update', '--disable-sync'],
			viewport: { width: 1200, height: 900 },
		});
		const page = ctx.pages()[0] || await ctx.newPage();
		const errors = [];
		page.on('pageerror', (e) => errors.push(String(e)));
		page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
		try {
			await body(page, ctx, errors);
			console.log(`browser test ${name}: passed, screenshots in ${env.artifacts}`);
		} catch (e) {
			await shot(page, name + '-failure').catch(() => {});
			console.error(`browser test ${name}: FAILED:`, e);
			process.exitCode = 1;
		} finally {
			await ctx.close();
		}
	})();
}

module.exports = { env, sql, sql1, ctl, shot, login, run };
