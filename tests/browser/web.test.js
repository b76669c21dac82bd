// left4me-web in a real browser: log in, create overlays, a blueprint with
// two overlays (tick expose_server_cfg and see the preview change without a
// reload), a server, press Start, and watch the job page receive lines the
// test appends to job_log; then type console commands (Enter sends through
// the API into a FIFO the test reads, Up brings them back) and see the
// console end when the server is deleted.  Screenshots go to $ARTIFACTS.
'use strict';
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { env, sql, sql1, shot, run } = require('./lib');

const base = env.base;
const state = env.state;
const artifacts = env.artifacts;

// STATE/console/NAME as a FIFO held open read-write and non-blocking (a
// reader, as left4me-launcher); the fd.
function consoleFifo(name) {
	const dir = path.join(state, 'console');
	fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
	execFileSync('mkfifo', ['-m', '0660', path.join(dir, name)]);
	return fs.openSync(path.join(dir, name), fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
}

// Everything the FIFO holds now.
function fifoTake(fd) {
	const buf = Buffer.alloc(65536);
	let out = '';
	for (;;) {
		let n;
		try {
			n = fs.readSync(fd, buf, 0, buf.length, null);
		} catch (e) {
			if (e.code === 'EAGAIN') return out;
			throw e;
		}
		out += buf.toString('utf8', 0, n);
	}
}

run('web', async (page, ctx, errors) => {
	// Log in.
	await page.goto(base + '/');
	assert.ok(page.url().endsWith('/login'), 'redirected to the login page');
	await shot(page, '01-login');
	await page.fill('input[name=username]', 'admin');
	await page.fill('input[name=password]', 'browser-admin-pw');
	await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
	assert.strictEqual(new URL(page.url()).pathname, '/');
	await page.waitForSelector('text=Dashboard');

	// Two overlays.
	for (const name of ['maps', 'configs']) {
		await page.goto(base + '/overlays');
		await page.fill('form[action="/overlays"] input[name=name]', name);
		await Promise.all([page.waitForNavigation(),
			page.click('form[action="/overlays"] button[type=submit]')]);
		assert.match(new URL(page.url()).pathname, /^\/overlays\/\d+$/);
	}
	await page.goto(base + '/overlays');
	await shot(page, '02-overlays');

	// A blueprint with both overlays.
	await page.goto(base + '/blueprints');
	await page.fill('form[action="/blueprints"] input[name=name]', 'coop');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/blueprints"] button[type=submit]')]);
	const bpPath = new URL(page.url()).pathname;
	assert.match(bpPath, /^\/blueprints\/\d+$/);
	await page.check('tr[data-overlay="1"] input[name=use]');
	await page.check('tr[data-overlay="2"] input[name=use]');
	await page.fill('tr[data-overlay="1"] input.pos', '0');
	await page.fill('tr[data-overlay="2"] input.pos', '1');
	assert.strictEqual((await page.textContent('#preview')).trim(), '(none)');
	// Tick one expose box: the preview changes without a reload.
	await page.evaluate(() => { window.__noReload = 1; });
	await page.check('tr[data-overlay="2"] input[name=expose]');
	await page.waitForFunction(() =>
		document.getElementById('preview').textContent.includes('exec server_overlay_2'));
	assert.strictEqual(await page.evaluate(() => window.__noReload), 1, 'no reload');
	await page.check('tr[data-overlay="1"] input[name=expose]');
	// Lowest overlay (position 1 = overlay 2) first.
	await page.waitForFunction(() => document.getElementById('preview').textContent ===
		'exec server_overlay_2\nexec server_overlay_1\n');
	await page.fill('textarea[name=config]', 'hostname "left4me coop"\nsv_lan 0');
	await shot(page, '03-blueprint-preview');
	await Promise.all([page.waitForNavigation(), page.click('#blueprint button[type=submit]')]);
	// Saved, and the server renders the same preview on load.
	assert.strictEqual(await page.textContent('#preview'),
		'exec server_overlay_2\nexec server_overlay_1\n');

	// A server, then Start.
	await page.goto(base + '/servers');
	await page.fill('form[action="/servers"] input[name=name]', 'alpha');
	await page.fill('form[action="/servers"] input[name=port]', '27015');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers"] button[type=submit]')]);
	assert.strictEqual(new URL(page.url()).pathname, '/servers/alpha');
	await shot(page, '04-server');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers/alpha/start"] button')]);
	const jobPath = new URL(page.url()).pathname;
	assert.match(jobPath, /^\/jobs\/\d+$/);
	const jobId = jobPath.split('/')[2];
	await page.waitForSelector('#log[data-events]');
	// Wait until the stream is open, then append lines as a worker would.
	await page.waitForFunction(async () => {
		const r = await fetch('/metrics');
		return (await r.text()).includes('left4me_web_streams_open 1');
	});
	sql(`UPDATE jobs SET state = 'running', started_at = 1, worker = 'test:1' WHERE id = ${jobId}`);
	sql(`INSERT INTO job_log (job_id, ts, stream, line) VALUES
		(${jobId}, 1, 'step', 'initialize alpha'),
		(${jobId}, 2, 'stdout', 'staging cfg/server.cfg <b>not bold</b>'),
		(${jobId}, 3, 'progress', '50.0 1 2 staging')`);
	await page.waitForFunction(() =>
		document.getElementById('log').textContent.includes('<b>not bold</b>'));
	assert.strictEqual(await page.$('#log b'), null, 'log lines are text, not HTML');
	await page.waitForFunction(() => document.getElementById('progress').value === 50);
	sql(`INSERT INTO job_log (job_id, ts, stream, line) VALUES
		(${jobId}, 4, 'step', 'left4me-systemctl enable alpha')`);
	await page.waitForFunction(() =>
		document.getElementById('log').textContent.includes('systemctl enable alpha'));
	sql(`UPDATE jobs SET state = 'succeeded', finished_at = 5, exit_code = 0 WHERE id = ${jobId}`);
	await page.waitForFunction(() =>
		document.getElementById('job-state').textContent.includes('succeeded'));
	await shot(page, '05-job-live-log');

	// The other pages render.
	for (const [p, name] of [['/', '06-dashboard'], ['/jobs', '07-jobs'],
		['/admin', '08-admin'], ['/global-overlays', '09-global-overlays'],
		['/servers/alpha/console', '10-console'], ['/overlays/1', '11-overlay']]) {
		const resp = await page.goto(base + p);
		assert.strictEqual(resp.status(), 200, p);
		await shot(page, name);
	}
	// The console: Enter sends the command (a POST to the API), the
	// input clears, Up brings it back.
	const fifo = consoleFifo('alpha');
	await page.goto(base + '/servers/alpha/console');
	const consoleApi = (r) => r.url() === base + '/api/v1/servers/alpha/console' &&
		r.request().method() === 'POST';
	for (const cmd of ['status', 'say hello <b>world</b>']) {
		await page.fill('#console-input', cmd);
		const [resp] = await Promise.all([page.waitForResponse(consoleApi),
			page.press('#console-input', 'Enter')]);
		assert.strictEqual(resp.status(), 204, cmd);
		assert.deepStrictEqual(JSON.parse(resp.request().postData()), { command: cmd });
		await page.waitForFunction(() => document.getElementById('console-input').value === '');
	}
	assert.strictEqual(new URL(page.url()).pathname, '/servers/alpha/console', 'no reload');
	assert.strictEqual(fifoTake(fifo), 'status\nsay hello <b>world</b>\n');
	await page.press('#console-input', 'ArrowUp');
	assert.strictEqual(await page.inputValue('#console-input'), 'say hello <b>world</b>');
	await page.press('#console-input', 'ArrowUp');
	assert.strictEqual(await page.inputValue('#console-input'), 'status');
	await page.press('#console-input', 'ArrowDown');
	await page.press('#console-input', 'ArrowDown');
	assert.strictEqual(await page.inputValue('#console-input'), '');
	assert.strictEqual(sql1(`SELECT count(*) FROM audit_log WHERE action = 'console'
		AND object = 'alpha' AND actor = 'admin'`), '2');
	// The history outlives a reload (sessionStorage, per server).
	await page.reload();
	await page.press('#console-input', 'ArrowUp');
	assert.strictEqual(await page.inputValue('#console-input'), 'say hello <b>world</b>');
	// Refused (300 characters within the input's maxlength, but 600
	// bytes): the rule is shown, the input keeps the command.
	await page.fill('#console-input', '\u00e9'.repeat(300));
	await Promise.all([page.waitForResponse(consoleApi), page.press('#console-input', 'Enter')]);
	await page.waitForSelector('#console-status:not([hidden])');
	assert.match(await page.textContent('#console-status'), /at most 512 bytes \(got 600\)/);
	assert.strictEqual(await page.inputValue('#console-input'), '\u00e9'.repeat(300));
	assert.strictEqual(fifoTake(fifo), '');
	fs.closeSync(fifo);
	await page.fill('#console-input', 'status');
	await Promise.all([page.waitForResponse(consoleApi), page.press('#console-input', 'Enter')]);
	await page.waitForFunction(() =>
		document.getElementById('console-status').textContent.includes('not running'));
	assert.strictEqual(await page.inputValue('#console-input'), 'status');
	await shot(page, '12-console');
	// Deleting the server ends the console: the input is disabled.
	sql(`DELETE FROM servers WHERE name = 'alpha'`);
	await page.waitForFunction(() => document.getElementById('console-input').disabled);
	assert.ok((await page.textContent('#log')).includes('(the server was deleted)'));

	// (The two refused commands above log their 400 and 409.)
	const refused = /^Failed to load resource: the server responded with a status of (400|409) /;
	assert.deepStrictEqual(errors.filter((e) => !e.includes('EventSource') && !refused.test(e)), [],
		'no page errors (CSP violations show up here)');
});
