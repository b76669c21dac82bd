// Live server state in a real browser (issue 14).  The dashboard's state,
// map and players change without a reload when the server's answers
// change, and the server page draws its three charts.  The changes are
// written to server_status and server_history the way left4me-status
// writes them (its columns, its states), by sqlite3 on the test's DB: the
// browser harness runs the web alone, without the bus and units
// left4me-status follows (tests/status drives the real poller).
// Screenshots go to $ARTIFACTS as live-*.png.
'use strict';
const assert = require('assert');
const { env, sql, sql1, shot, login, run } = require('./lib');

const base = env.base;

// The cells of server NAME's row on the page now.
async function row(page, name) {
	return page.evaluate((n) => {
		const tr = document.querySelector(`tr[data-server="${n}"]`);
		const cell = (k) => tr.querySelector(`[data-live="${k}"]`);
		return {
			state: cell('state').textContent,
			cls: cell('state').className,
			map: cell('map').textContent,
			players: cell('players').textContent,
		};
	}, name);
}

// Wait until server NAME's row shows want (a subset of row()'s fields).
async function rowIs(page, name, want) {
	await page.waitForFunction(([n, w]) => {
		const tr = document.querySelector(`tr[data-server="${n}"]`);
		if (!tr) return false;
		return Object.entries(w).every(([k, v]) =>
			tr.querySelector(`[data-live="${k}"]`).textContent === v);
	}, [name, want], { timeout: 10000 });
}

const now = () => Date.now();

run('live', async (page, ctx, errors) => {
	await login(page, 'admin', env.adminPassword);
	sql("INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES (1, 'coop', 1, 1);" +
		"INSERT INTO servers (name, user_id, blueprint_id, port, created_at, updated_at) " +
		"VALUES ('alpha', 1, 1, 27015, 1, 1), ('beta', 1, 1, 27016, 1, 1)");
	const alpha = sql1("SELECT id FROM servers WHERE name = 'alpha'");

	// Rendered without script: no status row yet is "stopped".
	await page.goto(base + '/');
	let r = await row(page, 'alpha');
	assert.deepStrictEqual([r.state, r.map, r.players], ['stopped', '-', '-']);
	// The stream is open (the page loaded without errors).
	const loadedAt = await page.evaluate(() => performance.timeOrigin);

	// The unit starts: starting, then running (A2S not answering yet).
	sql(`INSERT INTO server_status (server_id, live_state, active_state, sub_state, ` +
		`unit_result, updated_at) VALUES (${alpha}, 'starting', 'activating', 'start', ` +
		`'success', ${now()})`);
	await rowIs(page, 'alpha', { state: 'starting' });
	sql(`UPDATE server_status SET live_state = 'running', active_state = 'active', ` +
		`sub_state = 'running', updated_at = ${now()} WHERE server_id = ${alpha}`);
	await rowIs(page, 'alpha', { state: 'running', map: '-', players: '-' });

	// A2S answers: ready, its map and players.
	sql(`UPDATE server_status SET live_state = 'ready', a2s_map = 'c1m1_hotel', ` +
		`a2s_players = 0, a2s_bots = 0, a2s_max_players = 8, a2s_name = 'left4me alpha', ` +
		`a2s_at = ${now()}, updated_at = ${now()} WHERE server_id = ${alpha}`);
	await rowIs(page, 'alpha', { state: 'ready', map: 'c1m1_hotel', players: '0/8' });
	r = await row(page, 'alpha');
	assert.strictEqual(r.cls, 'badge s-ready');
	await shot(page, 'live-01-dashboard-ready');

	// Players join (standin_players 3), then the map changes.
	sql(`UPDATE server_status SET a2s_players = 3, updated_at = ${now()} ` +
		`WHERE server_id = ${alpha}`);
	await rowIs(page, 'alpha', { players: '3/8' });
	sql(`UPDATE server_status SET a2s_map = 'c2m1_highway', updated_at = ${now()} ` +
		`WHERE server_id = ${alpha}`);
	await rowIs(page, 'alpha', { map: 'c2m1_highway', players: '3/8' });

	// It crashes by itself (standin_crash 3): restarting with the count,
	// then failed at the start limit, with the exit code.
	sql(`UPDATE server_status SET live_state = 'restarting', restarts = 2, exit_code = 3, ` +
		`active_state = 'activating', sub_state = 'auto-restart', updated_at = ${now()} ` +
		`WHERE server_id = ${alpha}`);
	await rowIs(page, 'alpha', { state: 'restarting (2 crashes)', map: '-', players: '-' });
	sql(`UPDATE server_status SET live_state = 'failed', restarts = 5, ` +
		`active_state = 'failed', sub_state = 'failed', unit_result = 'start-limit-hit', ` +
		`updated_at = ${now()} WHERE server_id = ${alpha}`);
	await rowIs(page, 'alpha', { state: 'failed (exit code 3)' });
	r = await row(page, 'alpha');
	assert.strictEqual(r.cls, 'badge s-failed');
	// beta never changed, and none of it took a reload.
	r = await row(page, 'beta');
	assert.deepStrictEqual([r.state, r.map, r.players], ['stopped', '-', '-']);
	assert.strictEqual(await page.evaluate(() => performance.timeOrigin), loadedAt);
	await shot(page, 'live-02-dashboard-failed');

	// The server list follows too.
	await page.goto(base + '/servers');
	await rowIs(page, 'alpha', { state: 'failed (exit code 3)' });
	sql(`UPDATE server_status SET live_state = 'ready', restarts = 0, exit_code = NULL, ` +
		`a2s_players = 2, updated_at = ${now()} WHERE server_id = ${alpha}`);
	await rowIs(page, 'alpha', { state: 'ready', map: 'c2m1_highway', players: '2/8' });

	// The server page: players and 24 hours of charts (3 hours of minutes
	// here, a player count that rises and falls, CPU, memory).
	const minute = Math.floor(now() / 60000);
	const rows = [];
	for (let i = 180; i > 0; i--) {
		const m = minute - i;
		const players = Math.round(4 + 4 * Math.sin(i / 20));
		rows.push(`(${alpha}, ${m}, ${players}, ${(180 - i) * 9000000000}, ` +
			`${(600 + (i % 40) * 3) * 1048576})`);
	}
	sql('INSERT INTO server_history (server_id, minute, players, cpu_nsec, memory_bytes) ' +
		'VALUES ' + rows.join(', '));
	sql(`INSERT INTO server_players (server_id, idx, name, score, seconds) VALUES ` +
		`(${alpha}, 0, 'Coach', 14, 3725), (${alpha}, 1, 'Ellis', 9, 610)`);
	await page.goto(base + '/servers/alpha');
	assert.strictEqual(await page.textContent('dd [data-live="state"]'), 'ready');
	assert.strictEqual(await page.textContent('dd[data-live="players"]'), '2/8');
	const players = await page.$$eval('#players tbody tr', (trs) =>
		trs.map((tr) => Array.from(tr.cells, (c) => c.textContent)));
	assert.deepStrictEqual(players, [['Coach', '14', '1h 02m'], ['Ellis', '9', '10m 10s']]);
	for (const id of ['chart-players', 'chart-cpu', 'chart-memory']) {
		const c = await page.$eval('#' + id, (svg) => ({
			lines: svg.querySelectorAll('polyline').length,
			empty: svg.textContent.includes('No data yet'),
			width: svg.getBoundingClientRect().width,
			labels: Array.from(svg.querySelectorAll('text'), (t) => t.textContent),
		}));
		assert.ok(c.lines >= 1, `${id}: no line`);
		assert.ok(!c.empty, `${id}: says no data`);
		assert.ok(c.width > 300, `${id}: ${c.width}px wide`);
		assert.ok(c.labels.includes('UTC'), `${id}: no time axis`);
	}
	const cpuLabels = await page.$$eval('#chart-cpu text', (ts) => ts.map((t) => t.textContent));
	assert.ok(cpuLabels.includes('20%'), 'CPU axis: ' + cpuLabels.join(' '));
	const memLabels = await page.$$eval('#chart-memory text', (ts) => ts.map((t) => t.textContent));
	assert.ok(memLabels.some((l) => / MiB$| GiB$/.test(l)), 'memory axis: ' + memLabels.join(' '));
	await shot(page, 'live-03-server-charts');
	// A server without history says so in each chart.
	await page.goto(base + '/servers/beta');
	assert.strictEqual((await page.$$('svg.chart .chart-empty')).length, 3);
	await shot(page, 'live-04-server-no-data');
	assert.deepStrictEqual(errors, []);
});
