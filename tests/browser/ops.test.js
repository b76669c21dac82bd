// Everyday operation (issue 18) in a real browser: the server page shows
// how to connect (the connect string, a copy button, a well-formed
// steam:// link); reset and delete sit apart and ask first, and a wrong
// name deletes nothing; the audit page lists the login, the server create
// and a console command, each by the right user, and filters them.
// Screenshots go to $ARTIFACTS as ops-*.png.
'use strict';
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { env, sql1, shot, login, run } = require('./lib');

const base = env.base;

// STATE/console/NAME as a FIFO with a reader (as the launcher would be).
function consoleFifo(name) {
	const dir = path.join(env.state, 'console');
	fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
	execFileSync('mkfifo', ['-m', '0660', path.join(dir, name)]);
	return fs.openSync(path.join(dir, name), fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
}

const jobs = () => sql1('SELECT count(*) FROM jobs');

run('ops', async (page, ctx, errors) => {
	await login(page, 'admin', env.adminPassword);
	assert.strictEqual(new URL(page.url()).pathname, '/');

	// A blueprint and a server, through the forms.
	await page.goto(base + '/blueprints');
	await page.fill('form[action="/blueprints"] input[name=name]', 'coop');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/blueprints"] button[type=submit]')]);
	await page.goto(base + '/servers');
	await page.fill('form[action="/servers"] input[name=name]', 'alpha');
	await page.fill('form[action="/servers"] input[name=port]', '27015');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers"] button[type=submit]')]);
	assert.strictEqual(new URL(page.url()).pathname, '/servers/alpha');

	// Connect info: the string players type and the steam:// link.
	assert.strictEqual(await page.textContent('#connect'), 'connect 127.0.0.1:27015');
	const href = await page.getAttribute('#steam-connect', 'href');
	assert.strictEqual(href, 'steam://connect/127.0.0.1:27015');
	assert.match(href, /^steam:\/\/connect\/(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/);
	// The copy button is there only with script (app.js shows it); it
	// copies the connect string.
	await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
	await page.waitForSelector('button.copy:not([hidden])');
	await page.click('button.copy');
	await page.waitForFunction(() => document.querySelector('button.copy').textContent === 'Copied');
	assert.strictEqual(await page.evaluate(() => navigator.clipboard.readText()),
		'connect 127.0.0.1:27015');
	// Reset and delete are in the danger zone, start is not.
	assert.ok(await page.$('.danger-zone form[action="/servers/alpha/delete"] button.danger'));
	assert.ok(await page.$('.danger-zone form[action="/servers/alpha/reset"] button.danger'));
	assert.strictEqual(await page.$('.danger-zone form[action="/servers/alpha/start"]'), null);
	await shot(page, 'ops-01-server');

	// Reset asks first; Cancel leads back with nothing queued.
	assert.strictEqual(jobs(), '0');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers/alpha/reset"] button')]);
	assert.strictEqual(await page.textContent('h1'), 'Reset server alpha?');
	assert.match(await page.textContent('ul.lost'), /writable data/);
	await shot(page, 'ops-02-reset-confirm');
	assert.strictEqual(jobs(), '0', 'the first click queues nothing');
	await Promise.all([page.waitForNavigation(), page.click('text=Cancel')]);
	assert.strictEqual(new URL(page.url()).pathname, '/servers/alpha');
	assert.strictEqual(jobs(), '0');

	// Delete asks for the server's name; a wrong one deletes nothing.
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers/alpha/delete"] button')]);
	assert.strictEqual(await page.textContent('h1'), 'Delete server alpha?');
	assert.strictEqual(jobs(), '0', 'the first click queues nothing');
	await page.fill('input[name=confirm]', 'alpah');
	await Promise.all([page.waitForNavigation(), page.click('form.confirm button.danger')]);
	assert.match(await page.textContent('#confirm-error'), /not the server's name; nothing was deleted/);
	await shot(page, 'ops-03-delete-wrong-name');
	assert.strictEqual(jobs(), '0');
	assert.strictEqual(sql1("SELECT count(*) FROM servers WHERE name = 'alpha'"), '1');

	// Confirmed reset: a reset job.
	await page.goto(base + '/servers/alpha');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers/alpha/reset"] button')]);
	await Promise.all([page.waitForNavigation(), page.click('form.confirm button.danger')]);
	assert.match(new URL(page.url()).pathname, /^\/jobs\/\d+$/);
	assert.strictEqual(sql1("SELECT group_concat(kind) FROM jobs"), 'reset');

	// A console command (through the page's form and the API).
	const fifo = consoleFifo('alpha');
	await page.goto(base + '/servers/alpha/console');
	await page.fill('#console-input', 'status');
	await Promise.all([
		page.waitForResponse((r) => r.url().endsWith('/api/v1/servers/alpha/console') &&
			r.request().method() === 'POST' && r.status() === 204),
		page.press('#console-input', 'Enter')]);
	fs.closeSync(fifo);

	// Confirmed delete with the right name: a delete job.
	await page.goto(base + '/servers/alpha');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers/alpha/delete"] button')]);
	await page.fill('input[name=confirm]', 'alpha');
	await Promise.all([page.waitForNavigation(), page.click('form.confirm button.danger')]);
	assert.match(new URL(page.url()).pathname, /^\/jobs\/\d+$/);
	assert.strictEqual(sql1("SELECT group_concat(kind) FROM (SELECT kind FROM jobs ORDER BY id)"),
		'reset,delete');

	// The audit page: the login, the create and the command, by admin.
	await page.goto(base + '/admin/audit');
	const rows = await page.$$eval('#audit tbody tr', (trs) => trs.map((tr) => ({
		user: tr.querySelector('.a-user').textContent,
		action: tr.querySelector('.a-action').textContent,
		object: tr.querySelector('.a-object').textContent,
		detail: tr.querySelector('.a-detail').textContent,
	})));
	const has = (action, object, detail) => rows.some((r) => r.user === 'admin' &&
		r.action === action && r.object === object && (detail === undefined || r.detail === detail));
	assert.ok(has('login', ''), JSON.stringify(rows));
	assert.ok(has('server_create', 'alpha'), JSON.stringify(rows));
	assert.ok(has('console', 'alpha', 'status'), JSON.stringify(rows));
	assert.ok(has('delete', 'alpha'), JSON.stringify(rows));
	await shot(page, 'ops-04-audit');
	// Filtered to console commands: only those.
	await page.fill('#audit-filter input[name=action]', 'console');
	await Promise.all([page.waitForNavigation(), page.click('#audit-filter button')]);
	const actions = await page.$$eval('#audit tbody .a-action', (tds) => tds.map((t) => t.textContent));
	assert.deepStrictEqual(actions, ['console']);
	assert.strictEqual(new URL(page.url()).searchParams.get('action'), 'console');

	// (The wrong name's confirmation page is a 400, logged once.)
	const wrongName = /^Failed to load resource: the server responded with a status of 400 /;
	assert.strictEqual(errors.filter((e) => wrongName.test(e)).length, 1, errors.join('\n'));
	assert.deepStrictEqual(errors.filter((e) => !e.includes('EventSource') && !wrongName.test(e)),
		[], 'no page errors (CSP violations show up here)');
});
