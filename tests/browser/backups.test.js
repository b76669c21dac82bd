// Backups and exports (issue 16) in a real browser: a server's page offers
// its data for download, and so do its reset and delete confirmations,
// before anything goes; the export is a job (this test plays the worker:
// it marks the job done and writes its file into STATE/exports), whose
// page links the download, which the browser saves byte for byte.  The
// admin's Backups page makes one now (a job).  Screenshots: backups-*.png.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { env, sql, sql1, shot, login, run } = require('./lib');

const base = env.base;

run('backups', async (page) => {
	await login(page, 'admin', env.adminPassword);
	sql("INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES (1, 'bp', 1, 1)");
	sql("INSERT INTO servers (name, user_id, blueprint_id, port, created_at, updated_at) " +
		"VALUES ('alpha', 1, 1, 27015, 1, 1)");

	// The reset confirmation offers the data first; nothing was queued.
	await page.goto(base + '/servers/alpha');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers/alpha/reset"] button')]);
	assert.ok(await page.$('#export-first button'));
	assert.strictEqual(sql1('SELECT count(*) FROM jobs'), '0');
	await shot(page, 'backups-01-reset-confirm');
	await Promise.all([page.waitForNavigation(), page.click('#export-first button')]);
	const m = new URL(page.url()).pathname.match(/^\/jobs\/(\d+)$/);
	assert.ok(m, page.url());
	const id = m[1];
	assert.strictEqual(sql1(`SELECT kind || ' ' || target FROM jobs WHERE id = ${id}`),
		'export_server alpha');
	assert.strictEqual(sql1('SELECT count(*) FROM jobs WHERE kind = \'reset\''), '0');

	// Play the worker: done now, its archive in exports/.
	const bytes = Buffer.from('pretend zstd archive of alpha\n');
	fs.mkdirSync(path.join(env.state, 'exports'), { recursive: true, mode: 0o2750 });
	fs.writeFileSync(path.join(env.state, 'exports', `${id}.tar.zst`), bytes, { mode: 0o640 });
	sql(`UPDATE jobs SET state = 'succeeded', started_at = 1, ` +
		`finished_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE id = ${id}`);
	await page.reload();
	await shot(page, 'backups-02-export-job');
	const [download] = await Promise.all([page.waitForEvent('download'),
		page.click('#export-download')]);
	assert.strictEqual(download.suggestedFilename(), `alpha-data-${id}.tar.zst`);
	const saved = await download.path();
	assert.ok(fs.readFileSync(saved).equals(bytes));

	// Admin → Backups → Make one now: a backup job.
	await page.goto(base + '/admin');
	await Promise.all([page.waitForNavigation(), page.click('a[href="/admin/backups"]')]);
	await shot(page, 'backups-03-admin');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/admin/backups"] button')]);
	assert.match(new URL(page.url()).pathname, /^\/jobs\/\d+$/);
	assert.strictEqual(sql1('SELECT count(*) FROM jobs WHERE kind = \'backup\''), '1');
});
