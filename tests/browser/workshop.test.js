// Steam Workshop overlays (issue 15) in a real browser: a person pastes a
// collection's Workshop URL into the overlays page's form; the real
// left4me-fetcher (--once) syncs it against tests/system/steam-standin, a
// loopback stand-in of the Steam Web API and file host (fetcher.workshop
// .api_url, allow_private on); the overlay page then lists the items of the
// collection and of its nested collection with their titles, Workshop
// links built from their ids, and the preview the web serves from its own
// cache (never Steam's host).  Removing an item through its button takes
// it off the list.  Screenshots go to $ARTIFACTS as workshop-*.png.
'use strict';
const assert = require('assert');
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { env, sql1, shot, login, run } = require('./lib');

const base = env.base;
const build = path.resolve(path.dirname(env.ctl), '..');
const standin = path.resolve(__dirname, '../system/steam-standin');
const page = (id) => 'https://steamcommunity.com/sharedfiles/filedetails/?id=' + id;
// A 1x1 PNG.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ'
	+ 'DwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

// The stand-in's catalogue: collection 900001 holds item 800001 and
// collection 900002, which holds 800002 and 800003.
function catalogue(dir) {
	for (const d of ['items', 'collections', 'files'])
		fs.mkdirSync(path.join(dir, d), { recursive: true });
	const items = { 800001: 'Dead Before Dawn', 800002: 'Questionable Ethics',
		800003: 'Urban Flight <i>remix</i>' };
	for (const [id, title] of Object.entries(items)) {
		fs.writeFileSync(path.join(dir, 'files', id + '.vpk'), 'VPK ' + id + '\n');
		fs.writeFileSync(path.join(dir, 'items', id),
			`title=${title}\nfile=${id}.vpk\npreview=${id}.png\ntime_updated=1700000000\n`);
		fs.writeFileSync(path.join(dir, 'files', id + '.png'), png);
	}
	fs.writeFileSync(path.join(dir, 'collections', '900001'),
		'title=Best campaigns\nitem=800001\ncollection=900002\n');
	fs.writeFileSync(path.join(dir, 'collections', '900002'),
		'title=More campaigns\nitem=800002\nitem=800003\n');
	return items;
}

// Start the stand-in on a free port; resolves to its port.
async function startStandin(dir) {
	const portFile = path.join(dir, 'port');
	const child = spawn('/usr/bin/perl', [standin, '0', dir, portFile],
		{ stdio: ['ignore', 'inherit', 'inherit'] });
	const deadline = Date.now() + 10000;
	while (!fs.existsSync(portFile)) {
		if (Date.now() > deadline || child.exitCode !== null)
			throw new Error('steam-standin did not start');
		await new Promise((r) => setTimeout(r, 20));
	}
	return { child, port: fs.readFileSync(portFile, 'utf8').trim() };
}

// The real fetcher runs the queued sync job(s), then exits.
function fetcherOnce() {
	execFileSync(path.join(build, 'left4me-fetcher/left4me-fetcher'),
		['-c', env.config, '--allow-root', '--once'], {
			stdio: ['ignore', 'inherit', 'inherit'],
			env: Object.assign({}, process.env, {
				LEFT4ME_FETCHER_REFRESH: path.join(build, 'left4me-fetcher/left4me-fetcher-refresh'),
			}),
			timeout: 60000,
		});
}

run('workshop', async (pg) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'l4m-steam-'));
	const items = catalogue(dir);
	const { child, port } = await startStandin(dir);
	try {
		fs.appendFileSync(env.config, `fetcher:\n  workshop:\n    api_url: http://127.0.0.1:${port}/\n`
			+ '    allow_private: true\n');
		await login(pg, 'admin', env.adminPassword);

		// The form: a name and the collection's URL as it is pasted.
		await pg.goto(base + '/overlays');
		await pg.fill('#new-workshop input[name=name]', 'campaigns');
		await pg.fill('#new-workshop textarea[name=workshop_ids]', page(900001) + '\n');
		await Promise.all([pg.waitForNavigation(), pg.click('#new-workshop button[type=submit]')]);
		assert.match(new URL(pg.url()).pathname, /^\/overlays\/\d+$/);
		const id = new URL(pg.url()).pathname.split('/')[2];
		assert.strictEqual(sql1(`SELECT kind FROM overlays WHERE id = ${id}`), 'workshop');
		// Before the sync: the collection, pending, nothing else.
		assert.strictEqual(await pg.locator('tr.ws-item').count(), 1);
		assert.match(await pg.textContent('tr.ws-item'), /not synced yet/);
		await shot(pg, 'workshop-01-pending');

		// The fetcher syncs it; the page then shows every item's title.
		assert.strictEqual(sql1(`SELECT count(*) FROM jobs WHERE kind = 'sync_workshop' AND `
			+ `target = '${id}' AND state = 'queued'`), '1');
		fetcherOnce();
		assert.strictEqual(sql1(`SELECT state FROM jobs WHERE kind = 'sync_workshop' AND `
			+ `target = '${id}'`), 'succeeded');
		await pg.reload();
		for (const [pub, title] of Object.entries(items)) {
			const row = pg.locator(`tr.ws-item[data-id="${pub}"]`);
			assert.strictEqual(await row.locator('a.title').textContent(), title);
			assert.strictEqual(await row.locator('a.title').getAttribute('href'), page(pub));
			assert.strictEqual(await row.locator('.badge').textContent(), 'ok');
			assert.strictEqual(await row.locator('td.size').textContent(),
				fs.statSync(path.join(dir, 'files', pub + '.vpk')).size + ' bytes');
			// The preview comes from the web itself, and it is an image.
			const img = row.locator('img.preview');
			assert.strictEqual(await img.getAttribute('src'),
				`/overlays/${id}/workshop/${pub}/preview`);
			await pg.waitForFunction((el) => el.complete && el.naturalWidth === 1,
				await img.elementHandle());
		}
		// The collections by their titles, in Steam's order, the nested
		// one's items after it.
		assert.deepStrictEqual(await pg.locator('tr.ws-item').evaluateAll(
			(rows) => rows.map((r) => r.dataset.id)),
		['900001', '800001', '900002', '800002', '800003']);
		assert.strictEqual(await pg.textContent('tr.ws-item[data-id="900002"] a.title'),
			'More campaigns');
		// Escaped, not markup.
		assert.strictEqual(await pg.locator('tr.ws-item i').count(), 0);
		// Only the listed collection can be removed, not what it resolved to.
		assert.strictEqual(await pg.locator('tr.ws-item button.danger').count(), 1);
		await shot(pg, 'workshop-02-synced');

		// Add one item by id; remove the collection: the list follows.
		await pg.fill('#workshop-add textarea[name=add]', '800002');
		await Promise.all([pg.waitForNavigation(), pg.click('#workshop-add button[type=submit]')]);
		assert.strictEqual(sql1(`SELECT group_concat(published_id) FROM (SELECT published_id `
			+ `FROM overlay_workshop WHERE overlay_id = ${id} AND via = 0 ORDER BY position)`),
		'900001,800002');
		await Promise.all([pg.waitForNavigation(),
			pg.click('tr.ws-item[data-id="900001"] button.danger')]);
		assert.strictEqual(sql1(`SELECT group_concat(published_id) FROM overlay_workshop `
			+ `WHERE overlay_id = ${id} AND via = 0`), '800002');
		assert.strictEqual(await pg.locator('tr.ws-item').count(), 1);
		assert.strictEqual(await pg.locator('tr.ws-item a.title').textContent(), items[800002]);
		await shot(pg, 'workshop-03-edited');
	} finally {
		child.kill();
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
