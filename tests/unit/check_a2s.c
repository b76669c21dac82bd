/* a2s: the reply parsers on hand-made datagrams, and a2s_query against a
 * stand-in UDP responder on 127.0.0.1 that is as strict as srcds (it
 * answers A2S_INFO and A2S_PLAYER only when the request carries this
 * client's challenge) and can be told to misbehave. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "a2s.h"

/* ---- building replies ------------------------------------------------------ */

struct pkt {
	uint8_t b[8192];
	size_t n;
};

static void put(struct pkt *p, const void *d, size_t n)
{
	ck_assert_uint_le(p->n + n, sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put_u8(struct pkt *p, uint8_t v)
{
	put(p, &v, 1);
}

static void put_le(struct pkt *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		put_u8(p, (uint8_t)(v >> (8 * i)));
}

static void put_str(struct pkt *p, const char *s)
{
	put(p, s, strlen(s) + 1);
}

static void info_reply(struct pkt *p, const char *map, uint8_t players, uint8_t bots, bool edf)
{
	p->n = 0;
	put_le(p, 0xFFFFFFFF, 4);
	put_u8(p, 'I');
	put_u8(p, 17);
	put_str(p, "left4me test");
	put_str(p, map);
	put_str(p, "left4dead2");
	put_str(p, "Left 4 Dead 2");
	put_le(p, 550, 2);
	put_u8(p, players);
	put_u8(p, 8);
	put_u8(p, bots);
	put_u8(p, 'd');
	put_u8(p, 'l');
	put_u8(p, 0);
	put_u8(p, 1);
	put_str(p, "2.2.4");
	if (edf) {
		put_u8(p, 0x80 | 0x10 | 0x40 | 0x20 | 0x01);
		put_le(p, 27015, 2);
		put_le(p, 90000000000000001ULL, 8);
		put_le(p, 27020, 2);
		put_str(p, "tv");
		put_str(p, "coop,empty");
		put_le(p, 550, 8);
	}
}

static void player_reply(struct pkt *p, int count, int name_len)
{
	p->n = 0;
	put_le(p, 0xFFFFFFFF, 4);
	put_u8(p, 'D');
	put_u8(p, (uint8_t)count);
	for (int i = 0; i < count; i++) {
		char name[200];
		float d = 60.5f * (float)i;
		uint32_t dbits;

		memcpy(&dbits, &d, 4);
		snprintf(name, sizeof(name), "player%d", i);
		for (size_t k = strlen(name); (int)k < name_len; k++)
			name[k] = 'x', name[k + 1] = '\0';
		put_u8(p, 0);
		put_str(p, name);
		put_le(p, (uint32_t)(i * 10 - 5), 4);
		put_le(p, dbits, 4);
	}
}

/* ---- the parsers --------------------------------------------------------------- */

START_TEST(test_parse_info)
{
	struct pkt p;
	struct a2s_info in;
	char why[128];

	info_reply(&p, "c1m1_hotel", 3, 1, true);
	ck_assert_int_eq(a2s_kind(p.b, p.n), A2S_INFO_REPLY);
	ck_assert_int_eq(a2s_parse_info(p.b, p.n, &in, why, sizeof(why)), 0);
	ck_assert_str_eq(in.name, "left4me test");
	ck_assert_str_eq(in.map, "c1m1_hotel");
	ck_assert_str_eq(in.folder, "left4dead2");
	ck_assert_uint_eq(in.app_id, 550);
	ck_assert_uint_eq(in.players, 3);
	ck_assert_uint_eq(in.max_players, 8);
	ck_assert_uint_eq(in.bots, 1);
	ck_assert(in.vac);
	ck_assert(!in.password);
	ck_assert_str_eq(in.version, "2.2.4");
	ck_assert_uint_eq(in.port, 27015);
	ck_assert(in.steam_id == 90000000000000001ULL);
	ck_assert_str_eq(in.keywords, "coop,empty");
	ck_assert(in.game_id == 550);

	/* Without the extra data: fine, the fields stay 0. */
	info_reply(&p, "c2m1_highway", 0, 0, false);
	ck_assert_int_eq(a2s_parse_info(p.b, p.n, &in, why, sizeof(why)), 0);
	ck_assert_uint_eq(in.port, 0);

	/* Every truncation of a good reply is refused (but the one that
	 * ends right before the optional extra data). */
	info_reply(&p, "c1m1_hotel", 3, 1, true);
	for (size_t n = 0; n < p.n; n++) {
		int rc = a2s_parse_info(p.b, n, &in, why, sizeof(why));

		if (n == p.n - 35) /* the EDF byte and what follows cut off */
			ck_assert_int_eq(rc, 0);
		else
			ck_assert_msg(rc == -1, "truncated at %zu accepted", n);
	}
	ck_assert_int_eq(a2s_parse_info(p.b, 9, &in, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "A2S_INFO: reply ends early (9 bytes)");

	/* More bots than players. */
	info_reply(&p, "c1m1_hotel", 1, 2, false);
	ck_assert_int_eq(a2s_parse_info(p.b, p.n, &in, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "A2S_INFO: 2 bots among 1 players");

	/* Wrong header or type. */
	info_reply(&p, "c1m1_hotel", 1, 0, false);
	p.b[4] = 'D';
	ck_assert_int_eq(a2s_parse_info(p.b, p.n, &in, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "A2S_INFO: unexpected reply type 0x44");
	p.b[0] = 0xFE;
	ck_assert_int_eq(a2s_parse_info(p.b, p.n, &in, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "A2S_INFO: not a single-packet reply (header 0xfffffffe)");
}
END_TEST

START_TEST(test_strings_cleaned)
{
	struct pkt p;
	struct a2s_info in;
	char why[128];
	char longmap[400];

	/* Control bytes, invalid UTF-8, a C1 control; valid UTF-8 kept. */
	info_reply(&p, "c1\x1b[2J\xff\xc3\xa9\xc2\x85m", 0, 0, false);
	ck_assert_int_eq(a2s_parse_info(p.b, p.n, &in, why, sizeof(why)), 0);
	ck_assert_str_eq(in.map, "c1?[2J?\xc3\xa9?m");
	/* Cut to the field on a character boundary. */
	memset(longmap, 'a', sizeof(longmap));
	strcpy(longmap + 126, "\xc3\xa9zzz");
	info_reply(&p, longmap, 0, 0, false);
	ck_assert_int_eq(a2s_parse_info(p.b, p.n, &in, why, sizeof(why)), 0);
	ck_assert_uint_eq(strlen(in.map), 126);
}
END_TEST

START_TEST(test_parse_players)
{
	struct pkt p;
	struct a2s_player pl[A2S_PLAYERS_MAX];
	size_t n;
	uint8_t count;
	char why[128];

	player_reply(&p, 3, 0);
	ck_assert_int_eq(a2s_parse_players(p.b, p.n, pl, 64, &n, &count, why, sizeof(why)), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(count, 3);
	ck_assert_str_eq(pl[2].name, "player2");
	ck_assert_int_eq(pl[0].score, -5);
	ck_assert_int_eq(pl[2].score, 15);
	ck_assert(pl[2].duration == 121.0f);
	/* Keeps at most max, still checks the rest. */
	ck_assert_int_eq(a2s_parse_players(p.b, p.n, pl, 2, &n, &count, why, sizeof(why)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(count, 3);
	/* A count larger than the players present. */
	p.b[5] = 4;
	ck_assert_int_eq(a2s_parse_players(p.b, p.n, pl, 64, &n, &count, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "A2S_PLAYER: reply ends early (57 bytes, 4 players said)");
	/* A NaN duration becomes 0. */
	player_reply(&p, 1, 0);
	memset(p.b + p.n - 4, 0xFF, 4);
	ck_assert_int_eq(a2s_parse_players(p.b, p.n, pl, 64, &n, &count, why, sizeof(why)), 0);
	ck_assert(pl[0].duration == 0.0f);
}
END_TEST

START_TEST(test_split)
{
	struct a2s_split s;
	struct pkt whole, f;
	uint8_t out[A2S_SPLIT_MAX * A2S_PACKET_MAX];
	size_t outlen = 0, half;
	char why[128];

	player_reply(&whole, 10, 40);
	half = whole.n / 2;
	a2s_split_init(&s);
	for (int k = 1; k >= 0; k--) { /* the second fragment first */
		f.n = 0;
		put_le(&f, 0xFFFFFFFE, 4);
		put_le(&f, 77, 4);
		put_u8(&f, 2);
		put_u8(&f, (uint8_t)k);
		put_le(&f, 1248, 2);
		put(&f, whole.b + (k ? half : 0), k ? whole.n - half : half);
		ck_assert_int_eq(a2s_kind(f.b, f.n), A2S_SPLIT);
		ck_assert_int_eq(a2s_split_add(&s, f.b, f.n, out, &outlen, why, sizeof(why)), !k);
	}
	ck_assert_uint_eq(outlen, whole.n);
	ck_assert_mem_eq(out, whole.b, whole.n);

	/* Compressed, a fragment number out of range, two replies mixed. */
	a2s_split_init(&s);
	f.b[7] = 0x80;
	ck_assert_int_eq(a2s_split_add(&s, f.b, f.n, out, &outlen, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "split reply: compressed replies are not supported");
	f.b[7] = 0;
	f.b[9] = 2;
	ck_assert_int_eq(a2s_split_add(&s, f.b, f.n, out, &outlen, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "split reply: fragment 2 of 2");
	f.b[9] = 0;
	ck_assert_int_eq(a2s_split_add(&s, f.b, f.n, out, &outlen, why, sizeof(why)), 0);
	f.b[4] = 78;
	f.b[9] = 1;
	ck_assert_int_eq(a2s_split_add(&s, f.b, f.n, out, &outlen, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "split reply: fragments of two replies mixed");
	/* Short header. */
	ck_assert_int_eq(a2s_split_add(&s, f.b, 8, out, &outlen, why, sizeof(why)), -1);
}
END_TEST

START_TEST(test_challenge_and_requests)
{
	uint8_t req[64];
	uint8_t ch[] = {0xFF, 0xFF, 0xFF, 0xFF, 'A', 1, 2, 3, 4};
	uint32_t c;
	char why[128];

	ck_assert_int_eq(a2s_kind(ch, sizeof(ch)), A2S_CHALLENGE);
	ck_assert_int_eq(a2s_parse_challenge(ch, sizeof(ch), &c, why, sizeof(why)), 0);
	ck_assert_uint_eq(c, 0x04030201);
	ck_assert_int_eq(a2s_parse_challenge(ch, 8, &c, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "challenge: 8 bytes, expected 9");
	ck_assert_uint_eq(a2s_info_request(req, false, 0), 25);
	ck_assert_mem_eq(req, "\xff\xff\xff\xffTSource Engine Query\0", 25);
	ck_assert_uint_eq(a2s_info_request(req, true, 0x04030201), 29);
	ck_assert_mem_eq(req + 25, "\x01\x02\x03\x04", 4);
	ck_assert_uint_eq(a2s_player_request(req, 0xFFFFFFFF), 9);
	ck_assert_mem_eq(req, "\xff\xff\xff\xffU\xff\xff\xff\xff", 9);
	ck_assert_int_eq(a2s_kind((const uint8_t *)"\xff\xff\xff", 3), A2S_BAD);
	ck_assert_int_eq(a2s_kind((const uint8_t *)"\xff\xff\xff\xffZ", 5), A2S_BAD);
}
END_TEST

/* ---- the stand-in responder -------------------------------------------------------- */

enum mode {
	M_STRICT,     /* srcds: challenge first, then the reply */
	M_SILENT,     /* never answers */
	M_SHORT,      /* the info reply cut short */
	M_OVERSIZED,  /* a datagram bigger than srcds ever sends */
	M_SPLIT,      /* the player reply in two fragments */
	M_RECHALLENGE /* a new challenge every time */
};

static struct {
	int fd;
	struct sockaddr_in addr;
	pthread_t thread;
	_Atomic int mode;
	_Atomic int requests;	  /* datagrams received */
	_Atomic int unchallenged; /* INFO/PLAYER answered without the challenge: must stay 0 */
} sv;

static const uint32_t CHALLENGE = 0x5a5a1234;

static void reply(const struct pkt *p, const struct sockaddr_in *to)
{
	ck_assert_int_eq(sendto(sv.fd, p->b, p->n, 0, (const struct sockaddr *)to, sizeof(*to)),
			 (ssize_t)p->n);
}

static void send_challenge(const struct sockaddr_in *to, uint32_t c)
{
	struct pkt p = {.n = 0};

	put_le(&p, 0xFFFFFFFF, 4);
	put_u8(&p, 'A');
	put_le(&p, c, 4);
	reply(&p, to);
}

static void send_split(const struct pkt *whole, const struct sockaddr_in *to)
{
	size_t half = whole->n / 2;

	for (int k = 0; k < 2; k++) {
		struct pkt f = {.n = 0};

		put_le(&f, 0xFFFFFFFE, 4);
		put_le(&f, 9, 4);
		put_u8(&f, 2);
		put_u8(&f, (uint8_t)k);
		put_le(&f, 1248, 2);
		put(&f, whole->b + (k ? half : 0), k ? whole->n - half : half);
		reply(&f, to);
	}
}

static void answer(const uint8_t *req, size_t n, const struct sockaddr_in *from)
{
	int mode = sv.mode;
	bool info = n >= 25 && req[4] == 'T', player = n == 9 && req[4] == 'U';
	uint32_t c = 0;
	struct pkt p;

	if (mode == M_SILENT || (!info && !player))
		return;
	if (info && n == 29)
		memcpy(&c, req + 25, 4);
	if (player)
		memcpy(&c, req + 5, 4);
	if (mode == M_RECHALLENGE || c != CHALLENGE) {
		send_challenge(from, mode == M_RECHALLENGE ? (uint32_t)sv.requests : CHALLENGE);
		return;
	}
	if (info) {
		info_reply(&p, "c5m1_waterfront", 2, 1, true);
		if (mode == M_SHORT)
			p.n = 20;
		if (mode == M_OVERSIZED)
			p.n = A2S_PACKET_MAX + 10;
		reply(&p, from);
		return;
	}
	player_reply(&p, mode == M_SPLIT ? 30 : 2, mode == M_SPLIT ? 60 : 0);
	if (mode == M_SPLIT)
		send_split(&p, from);
	else
		reply(&p, from);
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		uint8_t req[2048];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(sv.fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return NULL; /* shut down */
		sv.requests++;
		answer(req, (size_t)n, &from);
	}
}

static void sv_start(void)
{
	socklen_t l = sizeof(sv.addr);

	sv.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(sv.fd, 0);
	memset(&sv.addr, 0, sizeof(sv.addr));
	sv.addr.sin_family = AF_INET;
	sv.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(sv.fd, (struct sockaddr *)&sv.addr, sizeof(sv.addr)), 0);
	ck_assert_int_eq(getsockname(sv.fd, (struct sockaddr *)&sv.addr, &l), 0);
	sv.mode = M_STRICT;
	sv.requests = 0;
	ck_assert_int_eq(pthread_create(&sv.thread, NULL, serve, NULL), 0);
}

static void sv_stop(void)
{
	shutdown(sv.fd, SHUT_RDWR);
	close(sv.fd);
	pthread_join(sv.thread, NULL);
}

static int query(bool players, int timeout_ms, struct a2s_result *res, char *why, size_t len)
{
	return a2s_query((struct sockaddr *)&sv.addr, sizeof(sv.addr), players, timeout_ms, res,
			 why, len);
}

START_TEST(test_query_strict)
{
	static struct a2s_result res;
	char why[128] = "";

	ck_assert_msg(query(true, 2000, &res, why, sizeof(why)) == 0, "%s", why);
	ck_assert_str_eq(res.info.map, "c5m1_waterfront");
	ck_assert_uint_eq(res.info.players, 2);
	ck_assert_uint_eq(res.info.bots, 1);
	ck_assert_uint_eq(res.n_players, 2);
	ck_assert_str_eq(res.players[1].name, "player1");
	ck_assert_uint_lt(res.rtt_ms, 2000);
	/* INFO (challenged), INFO with it, PLAYER with the same challenge. */
	ck_assert_int_eq(sv.requests, 3);

	/* The player list over two fragments. */
	sv.mode = M_SPLIT;
	ck_assert_msg(query(true, 2000, &res, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(res.n_players, 30);
	ck_assert_uint_eq(strlen(res.players[29].name), 60);
}
END_TEST

/* A poller that keeps the challenge asks in two datagrams; a stale one
 * costs a round trip more, and is replaced by the server's. */
START_TEST(test_query_known_challenge)
{
	static struct a2s_result res;
	char why[128] = "";
	uint32_t c = 0;

	ck_assert_msg(a2s_query_known((struct sockaddr *)&sv.addr, sizeof(sv.addr), true, 2000, &c,
				      &res, why, sizeof(why)) == 0,
		      "%s", why);
	ck_assert_uint_eq(c, CHALLENGE);
	ck_assert_int_eq(sv.requests, 3);
	ck_assert_msg(a2s_query_known((struct sockaddr *)&sv.addr, sizeof(sv.addr), true, 2000, &c,
				      &res, why, sizeof(why)) == 0,
		      "%s", why);
	ck_assert_int_eq(sv.requests, 5);
	ck_assert_uint_eq(res.n_players, 2);
	ck_assert_str_eq(res.info.map, "c5m1_waterfront");

	c = CHALLENGE + 1;
	ck_assert_msg(a2s_query_known((struct sockaddr *)&sv.addr, sizeof(sv.addr), true, 2000, &c,
				      &res, why, sizeof(why)) == 0,
		      "%s", why);
	ck_assert_uint_eq(c, CHALLENGE);
	ck_assert_int_eq(sv.requests, 8);
	ck_assert_int_eq(sv.unchallenged, 0);
}
END_TEST

START_TEST(test_query_failures)
{
	static struct a2s_result res;
	char why[128];
	struct sockaddr_in closed;
	int fd;
	socklen_t l = sizeof(closed);

	sv.mode = M_SILENT;
	ck_assert_int_eq(query(false, 200, &res, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "no answer (timed out)");
	sv.mode = M_SHORT;
	ck_assert_int_eq(query(false, 2000, &res, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "A2S_INFO: reply ends early (20 bytes)");
	sv.mode = M_OVERSIZED;
	ck_assert_int_eq(query(false, 2000, &res, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "reply of 1410 bytes");
	sv.mode = M_RECHALLENGE;
	ck_assert_int_eq(query(false, 2000, &res, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "the server keeps answering with a new challenge");

	/* Nothing listens: ICMP port unreachable comes back as ECONNREFUSED. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	closed = sv.addr;
	closed.sin_port = 0;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&closed, sizeof(closed)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&closed, &l), 0);
	close(fd);
	ck_assert_int_eq(a2s_query((struct sockaddr *)&closed, sizeof(closed), false, 2000, &res,
				   why, sizeof(why)),
			 -1);
	ck_assert_str_eq(why, "nothing listens (connection refused)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("a2s");
	TCase *p = tcase_create("parse"), *q = tcase_create("query");
	SRunner *sr;
	int failed;

	tcase_add_test(p, test_parse_info);
	tcase_add_test(p, test_strings_cleaned);
	tcase_add_test(p, test_parse_players);
	tcase_add_test(p, test_split);
	tcase_add_test(p, test_challenge_and_requests);
	tcase_add_checked_fixture(q, sv_start, sv_stop);
	tcase_add_test(q, test_query_strict);
	tcase_add_test(q, test_query_known_challenge);
	tcase_add_test(q, test_query_failures);
	suite_add_tcase(s, p);
	suite_add_tcase(s, q);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
