// Schedules on the server page (issue 16) in a real browser: a bad cron
// expression is refused with the field named and the input marked, what
// was typed kept; a good one is listed with its next run in the host's
// time zone; disable, enable and delete work from the buttons.
// Screenshots go to $ARTIFACTS as schedules-*.png.
'use strict';
const assert = require('assert');
const { env, sql1, shot, login, run } = require('./lib');

const base = env.base;
const form = 'form[action="/servers/alpha/schedules"]';

run('schedules', async (page) => {
	await login(page, 'admin', env.adminPassword);
	await page.goto(base + '/blueprints');
	await page.fill('form[action="/blueprints"] input[name=name]', 'coop');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/blueprints"] button[type=submit]')]);
	await page.goto(base + '/servers');
	await page.fill('form[action="/servers"] input[name=name]', 'alpha');
	await page.fill('form[action="/servers"] input[name=port]', '27015');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers"] button[type=submit]')]);
	assert.match(await page.textContent('#schedules'), /No schedules\./);

	// A bad hour: the page again, the message naming field 2, the input marked.
	await page.fill(form + ' input[name=cron]', '0 24 * * *');
	await Promise.all([page.waitForNavigation(), page.click(form + ' button[type=submit]')]);
	assert.strictEqual(await page.textContent('#schedule-error'),
		"cron: field 2 (hour): '24' is out of range 0-23");
	assert.strictEqual(await page.getAttribute(form + ' input[name=cron]', 'aria-invalid'), 'true');
	assert.strictEqual(await page.inputValue(form + ' input[name=cron]'), '0 24 * * *');
	assert.strictEqual(sql1('SELECT count(*) FROM schedules'), '0');
	await shot(page, 'schedules-refused');

	// A good one, only when empty, forced after 10 minutes.
	await page.fill(form + ' input[name=cron]', '15 5 * * *');
	await page.check(form + ' input[name=only_when_empty]');
	await page.fill(form + ' input[name=wait_minutes]', '10');
	await page.selectOption(form + ' select[name=on_timeout]', 'force');
	await Promise.all([page.waitForNavigation(), page.click(form + ' button[type=submit]')]);
	assert.strictEqual(new URL(page.url()).pathname, '/servers/alpha');
	const next = await page.textContent('#schedule-1 .next-run');
	assert.match(next, /^\d{4}-\d\d-\d\d 05:15 \S+$/);
	assert.match(await page.textContent('#schedule-1'), /when empty, up to 10 min, then force/);
	await shot(page, 'schedules-listed');

	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers/alpha/schedules/1/disable"] button')]);
	assert.strictEqual(await page.textContent('#schedule-1 .next-run'), 'disabled');
	assert.strictEqual(sql1('SELECT enabled FROM schedules WHERE id = 1'), '0');
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers/alpha/schedules/1/enable"] button')]);
	assert.match(await page.textContent('#schedule-1 .next-run'), /05:15/);
	await Promise.all([page.waitForNavigation(),
		page.click('form[action="/servers/alpha/schedules/1/delete"] button')]);
	assert.strictEqual(sql1('SELECT count(*) FROM schedules'), '0');
	assert.strictEqual(sql1("SELECT group_concat(action) FROM (SELECT action FROM audit_log " +
		"WHERE action GLOB 'schedule_*' ORDER BY id)"),
		'schedule_create,schedule_disable,schedule_enable,schedule_delete');
});
