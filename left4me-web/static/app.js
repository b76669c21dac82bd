// left4me: live logs over SSE and the blueprint preview.  Pages work
// without this file; it only adds what cannot be done without script.
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

document.addEventListener('DOMContentLoaded', () => {
	for (const pre of document.querySelectorAll('pre[data-events]')) follow(pre);
	const bp = document.getElementById('blueprint');
	if (bp && document.getElementById('preview')) {
		bp.addEventListener('input', () => preview(bp));
		bp.addEventListener('change', () => preview(bp));
	}
});
