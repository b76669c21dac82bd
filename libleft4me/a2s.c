/* A2S client: parsers for srcds's replies and one query with a deadline.
 * Every read is bounds-checked against the datagram; a reply that ends
 * early, or a string without its NUL, is malformed. */
#include "a2s.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "timeutil.h"
#include "validate.h"

#define HDR_SIMPLE 0xFFFFFFFFu
#define HDR_SPLIT  0xFFFFFFFEu

enum {
	S2C_CHALLENGE = 'A',
	S2A_INFO = 'I',
	S2A_PLAYER = 'D',
	A2S_INFO = 'T',
	A2S_PLAYER = 'U',
};

/* ---- reading a datagram ------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static uint8_t rd_u8(struct rd *r)
{
	if (r->bad || r->off + 1 > r->len) {
		r->bad = true;
		return 0;
	}
	return r->p[r->off++];
}

static uint64_t rd_le(struct rd *r, int bytes)
{
	uint64_t v = 0;

	if (r->bad || r->off + (size_t)bytes > r->len) {
		r->bad = true;
		return 0;
	}
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[r->off + (size_t)i] << (8 * i);
	r->off += (size_t)bytes;
	return v;
}

/* C0, DEL and C1 controls (U+0080..U+009F, two bytes C2 80..C2 9F). */
static bool is_control(const uint8_t *c, size_t w)
{
	return (w == 1 && (c[0] < 0x20 || c[0] == 0x7F)) || (w == 2 && c[0] == 0xC2 && c[1] < 0xA0);
}

/* One NUL-terminated string into out (outlen >= 1).  Bytes that are not
 * valid UTF-8, and control characters, become '?'; a string longer than
 * out is cut on a character boundary. */
static void rd_str(struct rd *r, char *out, size_t outlen)
{
	const uint8_t *nul;
	size_t n, o = 0;

	out[0] = '\0';
	if (r->bad)
		return;
	nul = memchr(r->p + r->off, 0, r->len - r->off);
	if (!nul) {
		r->bad = true;
		return;
	}
	n = (size_t)(nul - (r->p + r->off));
	for (size_t i = 0; i < n;) {
		const uint8_t *c = r->p + r->off + i;
		size_t w = *c < 0x80 ? 1 : (*c & 0xE0) == 0xC0 ? 2 : (*c & 0xF0) == 0xE0 ? 3 : 4;
		const void *put = c;
		size_t plen = w;

		if (w > n - i || !valid_utf8((const char *)c, w)) {
			put = "?";
			plen = w = 1; /* resynchronise on the next byte */
		} else if (is_control(c, w)) {
			put = "?";
			plen = 1;
		}
		if (o + plen >= outlen)
			break;
		memcpy(out + o, put, plen);
		o += plen;
		i += w;
	}
	out[o] = '\0';
	r->off += n + 1;
}

/* The 4-byte simple header and the type byte. */
static int rd_head(struct rd *r, uint8_t type, const char *what, char *why, size_t whylen)
{
	uint32_t h = (uint32_t)rd_le(r, 4);
	uint8_t t = rd_u8(r);

	if (r->bad)
		return err_set(why, whylen, "%s: reply too short (%zu bytes)", what, r->len);
	if (h != HDR_SIMPLE)
		return err_set(why, whylen, "%s: not a single-packet reply (header 0x%08x)", what,
			       h);
	if (t != type)
		return err_set(why, whylen, "%s: unexpected reply type 0x%02x", what, t);
	return 0;
}

enum a2s_kind a2s_kind(const uint8_t *pkt, size_t len)
{
	struct rd r = {.p = pkt, .len = len};
	uint32_t h = (uint32_t)rd_le(&r, 4);
	uint8_t t = rd_u8(&r);

	if (r.bad)
		return A2S_BAD;
	if (h == HDR_SPLIT)
		return A2S_SPLIT;
	if (h != HDR_SIMPLE)
		return A2S_BAD;
	switch (t) {
	case S2C_CHALLENGE:
		return A2S_CHALLENGE;
	case S2A_INFO:
		return A2S_INFO_REPLY;
	case S2A_PLAYER:
		return A2S_PLAYER_REPLY;
	default:
		return A2S_BAD;
	}
}

int a2s_parse_challenge(const uint8_t *pkt, size_t len, uint32_t *challenge, char *why,
			size_t whylen)
{
	struct rd r = {.p = pkt, .len = len};

	if (rd_head(&r, S2C_CHALLENGE, "challenge", why, whylen) < 0)
		return -1;
	*challenge = (uint32_t)rd_le(&r, 4);
	if (r.bad || r.off != len)
		return err_set(why, whylen, "challenge: %zu bytes, expected 9", len);
	return 0;
}

/* The extra data flag's fields (after the version string). */
static void rd_edf(struct rd *r, struct a2s_info *out)
{
	uint8_t edf;
	char skip[256];

	if (r->bad || r->off == r->len)
		return;
	edf = rd_u8(r);
	if (edf & 0x80)
		out->port = (uint16_t)rd_le(r, 2);
	if (edf & 0x10)
		out->steam_id = rd_le(r, 8);
	if (edf & 0x40) {
		(void)rd_le(r, 2); /* SourceTV port */
		rd_str(r, skip, sizeof(skip));
	}
	if (edf & 0x20)
		rd_str(r, out->keywords, sizeof(out->keywords));
	if (edf & 0x01)
		out->game_id = rd_le(r, 8);
}

int a2s_parse_info(const uint8_t *pkt, size_t len, struct a2s_info *out, char *why, size_t whylen)
{
	struct rd r = {.p = pkt, .len = len};

	memset(out, 0, sizeof(*out));
	if (rd_head(&r, S2A_INFO, "A2S_INFO", why, whylen) < 0)
		return -1;
	out->protocol = rd_u8(&r);
	rd_str(&r, out->name, sizeof(out->name));
	rd_str(&r, out->map, sizeof(out->map));
	rd_str(&r, out->folder, sizeof(out->folder));
	rd_str(&r, out->game, sizeof(out->game));
	out->app_id = (uint16_t)rd_le(&r, 2);
	out->players = rd_u8(&r);
	out->max_players = rd_u8(&r);
	out->bots = rd_u8(&r);
	out->server_type = (char)rd_u8(&r);
	out->environment = (char)rd_u8(&r);
	out->password = rd_u8(&r) != 0;
	out->vac = rd_u8(&r) != 0;
	rd_str(&r, out->version, sizeof(out->version));
	rd_edf(&r, out);
	if (r.bad)
		return err_set(why, whylen, "A2S_INFO: reply ends early (%zu bytes)", len);
	if (out->bots > out->players)
		return err_set(why, whylen, "A2S_INFO: %u bots among %u players", out->bots,
			       out->players);
	return 0;
}

int a2s_parse_players(const uint8_t *pkt, size_t len, struct a2s_player *out, size_t max, size_t *n,
		      uint8_t *count, char *why, size_t whylen)
{
	struct rd r = {.p = pkt, .len = len};
	uint8_t said;

	*n = 0;
	if (rd_head(&r, S2A_PLAYER, "A2S_PLAYER", why, whylen) < 0)
		return -1;
	said = rd_u8(&r);
	for (unsigned i = 0; i < said && !r.bad; i++) {
		struct a2s_player p;
		uint32_t dur;

		(void)rd_u8(&r); /* index: always 0 in practice */
		rd_str(&r, p.name, sizeof(p.name));
		p.score = (int32_t)(uint32_t)rd_le(&r, 4);
		dur = (uint32_t)rd_le(&r, 4);
		memcpy(&p.duration, &dur, sizeof(p.duration));
		if (!(p.duration >= 0.0f && p.duration < 1e9f)) /* NaN too */
			p.duration = 0.0f;
		if (!r.bad && *n < max)
			out[(*n)++] = p;
	}
	if (r.bad)
		return err_set(why, whylen,
			       "A2S_PLAYER: reply ends early (%zu bytes, %u players said)", len,
			       said);
	if (count)
		*count = said;
	return 0;
}

/* ---- requests -------------------------------------------------------------- */

static size_t put_le32(uint8_t *buf, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		buf[off + (size_t)i] = (uint8_t)(v >> (8 * i));
	return off + 4;
}

size_t a2s_info_request(uint8_t *buf, bool with_challenge, uint32_t challenge)
{
	static const char q[] = "Source Engine Query";
	size_t off = put_le32(buf, 0, HDR_SIMPLE);

	buf[off++] = A2S_INFO;
	memcpy(buf + off, q, sizeof(q)); /* with its NUL */
	off += sizeof(q);
	if (with_challenge)
		off = put_le32(buf, off, challenge);
	return off;
}

size_t a2s_player_request(uint8_t *buf, uint32_t challenge)
{
	size_t off = put_le32(buf, 0, HDR_SIMPLE);

	buf[off++] = A2S_PLAYER;
	return put_le32(buf, off, challenge);
}

/* ---- split replies --------------------------------------------------------- */

void a2s_split_init(struct a2s_split *s)
{
	s->id = 0;
	s->total = 0;
	s->have = 0;
}

int a2s_split_add(struct a2s_split *s, const uint8_t *pkt, size_t len, uint8_t *out, size_t *outlen,
		  char *why, size_t whylen)
{
	struct rd r = {.p = pkt, .len = len};
	uint32_t h = (uint32_t)rd_le(&r, 4), id = (uint32_t)rd_le(&r, 4);
	uint8_t total = rd_u8(&r), number = rd_u8(&r);
	size_t o = 0;

	(void)rd_le(&r, 2); /* the sender's maximum packet size */
	if (r.bad || h != HDR_SPLIT)
		return err_set(why, whylen, "split reply: bad fragment header (%zu bytes)", len);
	if (id & 0x80000000u)
		return err_set(why, whylen, "split reply: compressed replies are not supported");
	if (total < 2 || total > A2S_SPLIT_MAX || number >= total)
		return err_set(why, whylen, "split reply: fragment %u of %u", number, total);
	if (len - r.off > A2S_PACKET_MAX)
		return err_set(why, whylen, "split reply: fragment of %zu bytes", len - r.off);
	if (s->have == 0) {
		s->id = id;
		s->total = total;
	} else if (id != s->id || total != s->total) {
		return err_set(why, whylen, "split reply: fragments of two replies mixed");
	}
	s->len[number] = len - r.off;
	memcpy(s->data[number], pkt + r.off, len - r.off);
	s->have |= (uint16_t)(1u << number);
	if (s->have != (uint16_t)((1u << total) - 1))
		return 0;
	for (unsigned i = 0; i < total; i++) {
		memcpy(out + o, s->data[i], s->len[i]);
		o += s->len[i];
	}
	*outlen = o;
	return 1;
}

/* ---- one query --------------------------------------------------------------- */

struct exchange {
	int fd;
	int64_t deadline;
	int64_t sent;	    /* when the last request went out */
	uint32_t challenge; /* the server's, once it gave one (0: none yet) */
	struct a2s_split split;
	uint8_t buf[A2S_SPLIT_MAX * A2S_PACKET_MAX];
	size_t len;
};

/* Receive one whole reply (split ones reassembled) before the deadline.
 * 0, or -1 with why. */
static int recv_reply(struct exchange *x, char *why, size_t whylen)
{
	uint8_t pkt[A2S_PACKET_MAX + 64];

	a2s_split_init(&x->split);
	for (;;) {
		int64_t left = x->deadline - mono_ms();
		struct pollfd pfd = {.fd = x->fd, .events = POLLIN};
		ssize_t n;
		int rc;

		if (left <= 0)
			return err_set(why, whylen, "no answer (timed out)");
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return err_set(why, whylen, "poll: %s", strerror(errno));
		if (rc == 0)
			continue;
		n = recv(x->fd, pkt, sizeof(pkt), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return err_set(why, whylen, "%s",
				       errno == ECONNREFUSED
					   ? "nothing listens (connection refused)"
					   : strerror(errno));
		if (a2s_kind(pkt, (size_t)n) != A2S_SPLIT) {
			if ((size_t)n > A2S_PACKET_MAX)
				return err_set(why, whylen, "reply of %zd bytes", n);
			memcpy(x->buf, pkt, (size_t)n);
			x->len = (size_t)n;
			return 0;
		}
		rc = a2s_split_add(&x->split, pkt, (size_t)n, x->buf, &x->len, why, whylen);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
	}
}

/* Send req, and answer up to two challenges by resending with it. */
static int ask(struct exchange *x, uint8_t *req, size_t reqlen, size_t chal_off, char *why,
	       size_t whylen)
{
	for (int tries = 0; tries < 3; tries++) {
		uint32_t c;

		x->sent = mono_ms();
		if (send(x->fd, req, reqlen, 0) != (ssize_t)reqlen)
			return err_set(why, whylen, "send: %s", strerror(errno));
		if (recv_reply(x, why, whylen) < 0)
			return -1;
		if (a2s_kind(x->buf, x->len) != A2S_CHALLENGE)
			return 0;
		if (a2s_parse_challenge(x->buf, x->len, &c, why, whylen) < 0)
			return -1;
		x->challenge = c;
		put_le32(req, chal_off, c);
		if (chal_off + 4 > reqlen)
			reqlen = chal_off + 4;
	}
	return err_set(why, whylen, "the server keeps answering with a new challenge");
}

/* The challenge srcds gives is one per client address, for both queries
 * and for a while: A2S_PLAYER goes out with the one A2S_INFO got, and a
 * caller that keeps it (a2s_query_known) sends A2S_INFO with it too, two
 * round trips instead of four.  A stale one costs what no challenge does:
 * the server answers with its new one, which ask() uses. */
int a2s_query_known(const struct sockaddr *addr, socklen_t addrlen, bool want_players,
		    int timeout_ms, uint32_t *challenge, struct a2s_result *res, char *why,
		    size_t whylen)
{
	static __thread struct exchange x;
	uint8_t req[64];
	size_t n, base;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	x.deadline = mono_ms() + timeout_ms;
	x.challenge = challenge ? *challenge : 0;
	x.fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (x.fd < 0)
		return err_set(why, whylen, "socket: %s", strerror(errno));
	if (connect(x.fd, addr, addrlen) < 0) {
		err_set(why, whylen, "connect: %s", strerror(errno));
		goto out;
	}
	base = a2s_info_request(req, false, 0);
	n = a2s_info_request(req, x.challenge != 0, x.challenge);
	if (ask(&x, req, n, base, why, whylen) < 0 ||
	    a2s_parse_info(x.buf, x.len, &res->info, why, whylen) < 0)
		goto out;
	res->rtt_ms = (unsigned)(mono_ms() - x.sent);
	if (want_players) {
		n = a2s_player_request(req, x.challenge ? x.challenge : 0xFFFFFFFFu);
		if (ask(&x, req, n, 5, why, whylen) < 0 ||
		    a2s_parse_players(x.buf, x.len, res->players, A2S_PLAYERS_MAX, &res->n_players,
				      NULL, why, whylen) < 0)
			goto out;
	}
	rc = 0;
out:
	close(x.fd);
	if (challenge)
		*challenge = x.challenge;
	return rc;
}

int a2s_query(const struct sockaddr *addr, socklen_t addrlen, bool want_players, int timeout_ms,
	      struct a2s_result *res, char *why, size_t whylen)
{
	return a2s_query_known(addr, addrlen, want_players, timeout_ms, NULL, res, why, whylen);
}
