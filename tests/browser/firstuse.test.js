// state dir: make run
// Issue 17, against make run's own layout (tests/browser/run lays the state
// dir out with tools/run-dev --layout-only, the code make run runs): log
// in as make run's admin, see the first-run checklist, create an overlay,
// upload a file into it, write left4dead2/cfg/server.cfg in the editor
// (Ctrl-S saves), reload and see the change, see a blueprint show it as
// the exposed server.cfg; then two tabs on one file: the second save gets
// the conflict message.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { env, shot, login, run } = require('./lib');

const base = env.base;
const CFG = 'left4dead2/cfg/server.cfg';

// The editor page of overlay id's file p, loaded in page pg.
async function openEditor(pg, id, p) {
	await pg.goto(`${base}/overlays/${id}/edit?path=${encodeURIComponent(p)}`);
	await pg.waitForSelector('#editor');
}

run('firstuse', async (page, ctx, errors) => {
	// make run's layout: the package's directories and modes.
	const mode = (p) => (fs.statSync(path.join(env.state, p)).mode & 0o7777).toString(8);
	assert.strictEqual(mode('.'), '3771');
	assert.strictEqual(mode('overlays'), '2770');

	await login(page, 'admin', env.adminPassword);
	assert.strictEqual(new URL(page.url()).pathname, '/');
	await page.waitForSelector('#checklist');
	assert.match(await page.textContent('#checklist'), /0 of 5 done/);
	await shot(page, 'firstuse-01-checklist');
	await page.goto(base + '/servers');
	assert.match(await page.textContent('#no-game'), /install the game first/);

	// An overlay, from the checklist's link.
	await page.goto(base + '/');
	await Promise.all([page.waitForNavigation(), page.click('#checklist a[href="/overlays"]')]);
	await page.fill('form[action="/overlays"] input[name=name]', 'configs');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/overlays"] button[type=submit]')]);
	const overlayPath = new URL(page.url()).pathname;
	assert.match(overlayPath, /^\/overlays\/\d+$/);
	const id = overlayPath.split('/')[2];
	assert.strictEqual(await page.$('#no-dir'), null, 'the overlay came with its directory');
	assert.strictEqual(mode(`overlays/${id}`), '2770');

	// Upload a file (the step that failed in make run before).
	await page.fill('form.upload input[name=path]', 'left4dead2/');
	await page.setInputFiles('form.upload input[name=file]', {
		name: 'motd.txt', mimeType: 'text/plain', buffer: Buffer.from('Welcome!\n'),
	});
	await Promise.all([page.waitForNavigation(),
		page.click('form[action$="/upload"] button[type=submit]')]);
	assert.match(await page.textContent('table.files'), /motd\.txt/);
	assert.strictEqual(
		fs.readFileSync(path.join(env.state, 'overlays', id, 'left4dead2/motd.txt'), 'utf8'),
		'Welcome!\n');

	// A new server.cfg in the editor: the "new text file" form opens it.
	await page.goto(base + overlayPath);
	await page.fill(`form[action="/overlays/${id}/edit"] input[name=path]`, CFG);
	await Promise.all([page.waitForNavigation(),
		page.click(`form[action="/overlays/${id}/edit"] button[type=submit]`)]);
	await page.waitForSelector('#editor');
	await page.waitForSelector('.editor-wrap .gutter');
	await page.fill('#editor', 'hostname "first use"\nsv_lan 0\nsv_cheats 0');
	// The line numbers follow the text.
	assert.strictEqual((await page.textContent('.gutter')).trim(), '1\n2\n3');
	await shot(page, 'firstuse-02-editor');
	await Promise.all([page.waitForNavigation(), page.keyboard.press('Control+s')]);
	await page.waitForSelector('#saved');
	await page.reload();
	assert.strictEqual(await page.inputValue('#editor'),
		'hostname "first use"\nsv_lan 0\nsv_cheats 0');
	assert.strictEqual(
		fs.readFileSync(path.join(env.state, 'overlays', id, CFG), 'utf8'),
		'hostname "first use"\nsv_lan 0\nsv_cheats 0', 'saved with LF line ends');

	// A blueprint exposing the overlay's server.cfg shows it.
	await page.goto(base + '/blueprints');
	await page.fill('form[action="/blueprints"] input[name=name]', 'coop');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/blueprints"] button[type=submit]')]);
	const bpPath = new URL(page.url()).pathname;
	await page.check(`tr[data-overlay="${id}"] input[name=use]`);
	await page.check(`tr[data-overlay="${id}"] input[name=expose]`);
	await Promise.all([page.waitForNavigation(), page.click('#blueprint button[type=submit]')]);
	assert.strictEqual(await page.textContent('#preview'), `exec server_overlay_${id}\n`);
	assert.strictEqual(await page.textContent(`#exposed pre[data-overlay="${id}"]`),
		'hostname "first use"\nsv_lan 0\nsv_cheats 0');

	// Edit it again from the blueprint's link, and the preview follows.
	await Promise.all([page.waitForNavigation(), page.click('#exposed a.button')]);
	await page.fill('#editor', 'hostname "changed"\n');
	await Promise.all([page.waitForNavigation(), page.click('#editor-form button[type=submit]')]);
	await page.goto(base + bpPath);
	assert.strictEqual(await page.textContent(`#exposed pre[data-overlay="${id}"]`),
		'hostname "changed"\n');
	await shot(page, 'firstuse-03-blueprint');

	// Two tabs on the same file: the first save wins, the second gets the
	// conflict message and keeps its text.
	const tab2 = await ctx.newPage();
	tab2.on('pageerror', (e) => errors.push(String(e)));
	await openEditor(page, id, CFG);
	await openEditor(tab2, id, CFG);
	await page.fill('#editor', 'hostname "tab one"\n');
	await Promise.all([page.waitForNavigation(), page.keyboard.press('Control+s')]);
	await page.waitForSelector('#saved');
	await tab2.fill('#editor', 'hostname "tab two"\n');
	await Promise.all([tab2.waitForNavigation(), tab2.keyboard.press('Control+s')]);
	await tab2.waitForSelector('#conflict');
	assert.match(await tab2.textContent('#conflict'), /changed since you loaded it/);
	assert.strictEqual(await tab2.inputValue('#editor'), 'hostname "tab two"\n');
	await shot(tab2, 'firstuse-04-conflict');
	assert.strictEqual(fs.readFileSync(path.join(env.state, 'overlays', id, CFG), 'utf8'),
		'hostname "tab one"\n');
	// Saving again now replaces it, knowingly.
	await Promise.all([tab2.waitForNavigation(), tab2.keyboard.press('Control+s')]);
	await tab2.waitForSelector('#saved');
	assert.strictEqual(fs.readFileSync(path.join(env.state, 'overlays', id, CFG), 'utf8'),
		'hostname "tab two"\n');

	// The checklist moved on: an overlay and a blueprint are done.
	await page.goto(base + '/');
	assert.match(await page.textContent('#checklist'), /2 of 5 done/);
	assert.deepStrictEqual(errors, [], 'no script errors');
});
