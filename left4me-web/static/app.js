// left4me: live logs over SSE, the console's input line with history, the
// blueprint preview, and the text editor's line numbers and Ctrl-S.  Pages work without this file; it only adds what
// cannot be done without script.
'use strict';

function appendLine(pre, stream, text) {
	const span = document.createElement('span');
	if (stream) span.className = 'l-' + stream;
	span.textContent = text + '\n';
	const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
	pre.appendChild(span);
	if (atBottom) pre.scrollTop = pre.scrollHeight;
}

function showProgress(line) {
	// "PERCENT DONE TOTAL LABEL"
	const box = document.getElementById('progress-box');
	const bar = document.getElementById('progress');
	const label = document.getElementById('progress-label');
	if (!box || !bar) return;
	const parts = line.split(' ');
	const pct = Math.max(0, Math.min(100, parseFloat(parts[0]) || 0));
	bar.value = pct;
	if (label) label.textContent = pct.toFixed(1) + '% ' + parts.slice(3).join(' ');
	box.hidden = false;
}

// Copy buttons (button.copy[data-copy], hidden without script): the
// clipboard API where the page is a secure context, else a selected
// textarea and execCommand; the label says whether it worked.
function copyButton(button) {
	button.hidden = false;
	button.addEventListener('click', async () => {
		const text = button.dataset.copy;
		let ok = false;
		try {
			if (navigator.clipboard && window.isSecureContext) {
				await navigator.clipboard.writeText(text);
				ok = true;
			}
		} catch (e) { ok = false; }
		if (!ok) {
			const ta = document.createElement('textarea');
			ta.value = text;
			ta.setAttribute('readonly', '');
			document.body.appendChild(ta);
			ta.select();
			try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
			ta.remove();
		}
		button.textContent = ok ? 'Copied' : 'Copy failed';
	});
}
// The live state of servers (GET /api/v1/status/events): each "status"
// event rewrites the state badge, map and players of every element with
// data-server="NAME" (table rows, the server page's facts).  The page
// works without it: the values are the ones rendered.
function liveStatus(url) {
	const es = new EventSource(url);
	es.addEventListener('status', (e) => {
		let st;
		try { st = JSON.parse(e.data); } catch (_) { return; }
		for (const el of document.querySelectorAll('[data-server]')) {
			if (el.dataset.server !== st.server) continue;
			const b = el.querySelector('[data-live="state"]');
			if (b) {
				b.textContent = st.label;
				b.className = 'badge s-' + st.state;
			}
			const m = el.querySelector('[data-live="map"]');
			if (m) m.textContent = st.map === null ? '-' : st.map;
			const p = el.querySelector('[data-live="players"]');
			if (p) p.textContent = st.players === null ? '-' : st.players + '/' + st.max_players;
		}
	});
	es.addEventListener('end', () => es.close());
}

document.addEventListener('DOMContentLoaded', () => {
	const live = document.querySelector('[data-status-events]');
	if (live) liveStatus(live.dataset.statusEvents);
	for (const b of document.querySelectorAll('button.copy[data-copy]')) copyButton(b);
});

function follow(pre) {
	const url = pre.dataset.events;
	const es = new EventSource(url);
	const streams = ['step', 'stdout', 'stderr', 'info', 'progress'];
	es.onmessage = (e) => appendLine(pre, '', e.data);
	for (const s of streams) {
		es.addEventListener(s, (e) => {
			appendLine(pre, s, e.data);
			if (s === 'progress') showProgress(e.data);
		});
	}
	es.addEventListener('end', (e) => {
		es.close();
		pre.dataset.state = e.data;
		const form = document.getElementById('console-form');
		if (form && e.data === 'deleted') {
			appendLine(pre, 'info', '(the server was deleted)');
			for (const el of form.elements) el.disabled = true;
		}
		const st = document.getElementById('job-state');
		if (st) {
			st.textContent = '';
			const b = document.createElement('span');
			b.className = 'badge s-' + e.data;
			b.textContent = e.data;
			st.appendChild(b);
		}
	});
	es.addEventListener('error', (e) => {
		if (e.data) { appendLine(pre, 'stderr', e.data); es.close(); }
	});
}

// The console's input line: sends through the JSON API (the form's
// plain POST is the fallback without script), keeps the commands sent to
// this server in sessionStorage, Up and Down walk through them.
const CONSOLE_HISTORY_MAX = 50;

function consoleInput(form) {
	const input = form.elements.command;
	const button = form.querySelector('button[type=submit]');
	const status = document.getElementById('console-status');
	const result = document.getElementById('console-result');
	const key = 'left4me.console.' + form.dataset.server;
	let history = [];
	try {
		const saved = JSON.parse(sessionStorage.getItem(key) || '[]');
		if (Array.isArray(saved)) history = saved.filter((c) => typeof c === 'string');
	} catch (e) { history = []; }
	let pos = history.length;
	let draft = '';

	function showError(text) {
		status.textContent = text;
		status.hidden = !text;
	}
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const command = input.value;
		if (!command || button.disabled) return;
		if (result) result.hidden = true;
		button.disabled = true;
		let resp;
		try {
			resp = await fetch(form.dataset.api, {
				method: 'POST',
				credentials: 'same-origin',
				headers: {
					'Content-Type': 'application/json',
					'X-CSRF-Token': form.elements.csrf_token.value,
				},
				body: JSON.stringify({ command }),
			});
		} catch (err) {
			showError('Not sent: ' + err.message);
			button.disabled = false;
			return;
		}
		button.disabled = false;
		if (resp.status === 204) {
			if (history[history.length - 1] !== command) history.push(command);
			if (history.length > CONSOLE_HISTORY_MAX)
				history.splice(0, history.length - CONSOLE_HISTORY_MAX);
			try { sessionStorage.setItem(key, JSON.stringify(history)); } catch (err) { /* full */ }
			pos = history.length;
			draft = '';
			input.value = '';
			showError('');
			return;
		}
		let msg = 'HTTP ' + resp.status;
		try {
			const body = await resp.json();
			if (body && typeof body.error === 'string') msg = body.error;
		} catch (err) { /* not JSON */ }
		showError('Not sent: ' + msg);
	});
	input.addEventListener('keydown', (e) => {
		if (e.key === 'ArrowUp') {
			e.preventDefault();
			if (pos === 0) return;
			if (pos === history.length) draft = input.value;
			input.value = history[--pos];
		} else if (e.key === 'ArrowDown') {
			e.preventDefault();
			if (pos === history.length) return;
			pos++;
			input.value = pos === history.length ? draft : history[pos];
		}
	});
}

function preview(form) {
	const rows = Array.from(form.querySelectorAll('tr[data-overlay]'));
	const used = [];
	for (const tr of rows) {
		const use = tr.querySelector('input[name=use]');
		const expose = tr.querySelector('input[name=expose]');
		const pos = parseInt(tr.querySelector('input.pos').value, 10) || 0;
		const id = parseInt(tr.dataset.overlay, 10);
		if (use && use.checked) used.push({ id, pos, expose: expose && expose.checked });
	}
	// Top first by position, then the lowest overlay's cfg runs first.
	used.sort((a, b) => a.pos - b.pos || a.id - b.id);
	const lines = used.reverse().filter((o) => o.expose)
		.map((o) => 'exec server_overlay_' + o.id + '\n');
	document.getElementById('preview').textContent = lines.length ? lines.join('') : '(none)\n';
}

// The text editor (a plain form without script): a gutter of line numbers
// that scrolls with the text, and Ctrl-S (Cmd-S) submits the form, which
// carries the ETag the page was loaded with (a 409 page if the file changed
// meanwhile).
function editor(ta) {
	const wrap = document.createElement('div');
	wrap.className = 'editor-wrap';
	const gutter = document.createElement('pre');
	gutter.className = 'gutter';
	gutter.setAttribute('aria-hidden', 'true');
	ta.parentNode.insertBefore(wrap, ta);
	wrap.appendChild(gutter);
	wrap.appendChild(ta);
	let shown = 0;
	function numbers() {
		const n = ta.value.split('\n').length;
		if (n !== shown) {
			const out = [];
			for (let i = 1; i <= n; i++) out.push(i);
			gutter.textContent = out.join('\n') + '\n';
			shown = n;
		}
		gutter.scrollTop = ta.scrollTop;
	}
	ta.addEventListener('input', numbers);
	ta.addEventListener('scroll', () => { gutter.scrollTop = ta.scrollTop; });
	numbers();
	document.addEventListener('keydown', (e) => {
		if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 's' || e.key === 'S')) {
			e.preventDefault();
			ta.form.requestSubmit();
		}
	});
}

// The live state of servers (GET /api/v1/status/events): each "status"
// event rewrites the state badge, map and players of every element with
// data-server="NAME" (table rows, the server page's facts).  The page
// works without it: the values are the ones rendered.
function liveStatus(url) {
	const es = new EventSource(url);
	es.addEventListener('status', (e) => {
		let st;
		try { st = JSON.parse(e.data); } catch (_) { return; }
		for (const el of document.querySelectorAll('[data-server]')) {
			if (el.dataset.server !== st.server) continue;
			const b = el.querySelector('[data-live="state"]');
			if (b) {
				b.textContent = st.label;
				b.className = 'badge s-' + st.state;
			}
			const m = el.querySelector('[data-live="map"]');
			if (m) m.textContent = st.map === null ? '-' : st.map;
			const p = el.querySelector('[data-live="players"]');
			if (p) p.textContent = st.players === null ? '-' : st.players + '/' + st.max_players;
		}
	});
	es.addEventListener('end', () => es.close());
}

document.addEventListener('DOMContentLoaded', () => {
	const live = document.querySelector('[data-status-events]');
	if (live) liveStatus(live.dataset.statusEvents);
	const ta = document.getElementById('editor');
	if (ta && ta.form) editor(ta);
	for (const pre of document.querySelectorAll('pre[data-events]')) follow(pre);
	const consoleForm = document.getElementById('console-form');
	if (consoleForm) consoleInput(consoleForm);
	const bp = document.getElementById('blueprint');
	if (bp && document.getElementById('preview')) {
		bp.addEventListener('input', () => preview(bp));
		bp.addEventListener('change', () => preview(bp));
	}
});
