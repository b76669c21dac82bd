/* A2S: the Source engine's UDP query protocol, client side (A2S_INFO and
 * A2S_PLAYER, with the challenge srcds has demanded since 2020, and split
 * replies reassembled).  The parsers take one datagram's bytes and trust
 * nothing in them; a2s_query() asks one server over a socket with a
 * deadline.  ../shared/DOMAIN.md has the wire formats. */
#ifndef LEFT4ME_A2S_H
#define LEFT4ME_A2S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define A2S_PACKET_MAX	1400 /* srcds's largest datagram payload */
#define A2S_SPLIT_MAX	16   /* fragments of one split reply accepted */
#define A2S_PLAYERS_MAX 64   /* players kept from one A2S_PLAYER reply */

struct a2s_info {
	uint8_t protocol;
	char name[256];
	char map[128];
	char folder[64];
	char game[128];
	uint16_t app_id;
	uint8_t players;
	uint8_t max_players;
	uint8_t bots;
	char server_type; /* 'd' dedicated, 'l' listen, 'p' SourceTV */
	char environment; /* 'l', 'w', 'm' or 'o' */
	bool password;
	bool vac;
	char version[64];
	uint16_t port; /* 0 when the reply does not say */
	uint64_t steam_id;
	char keywords[256];
	uint64_t game_id;
};

struct a2s_player {
	char name[128];
	int32_t score;
	float duration; /* seconds connected */
};

/* What one datagram is.  A2S_BAD: not A2S at all, or malformed. */
enum a2s_kind {
	A2S_BAD,
	A2S_CHALLENGE, /* S2C_CHALLENGE 'A' */
	A2S_INFO_REPLY,
	A2S_PLAYER_REPLY,
	A2S_SPLIT, /* one fragment of a split reply */
};

/* The kind of PKT (len bytes), from its header only. */
enum a2s_kind a2s_kind(const uint8_t *pkt, size_t len);

/* Each returns 0, or -1 with a one-line reason in why (static text or
 * formatted into why; whylen >= 64 is enough).  Strings are copied
 * NUL-terminated, cut on a character boundary to their field, with each
 * byte of invalid UTF-8 and each control character made '?', so callers
 * can print them. */
int a2s_parse_challenge(const uint8_t *pkt, size_t len, uint32_t *challenge, char *why,
			size_t whylen);
int a2s_parse_info(const uint8_t *pkt, size_t len, struct a2s_info *out, char *why, size_t whylen);
int a2s_parse_players(const uint8_t *pkt, size_t len, struct a2s_player *out, size_t max, size_t *n,
		      uint8_t *count, char *why, size_t whylen);

/* The requests: A2S_INFO with or without a challenge, A2S_PLAYER with one
 * (0xFFFFFFFF asks for a challenge).  Return the length written into buf
 * (at least 64 bytes). */
size_t a2s_info_request(uint8_t *buf, bool with_challenge, uint32_t challenge);
size_t a2s_player_request(uint8_t *buf, uint32_t challenge);

/* Reassembly of one split reply (Source format: FE FF FF FF, id, total,
 * number, size).  Compressed replies are refused. */
struct a2s_split {
	uint32_t id;
	uint8_t total;
	uint16_t have; /* bitmask of fragments seen */
	size_t len[A2S_SPLIT_MAX];
	uint8_t data[A2S_SPLIT_MAX][A2S_PACKET_MAX];
};
void a2s_split_init(struct a2s_split *s);
/* Add one fragment.  1 when the reply is complete (its bytes, starting
 * with FF FF FF FF, in out/outlen, at most A2S_SPLIT_MAX *
 * A2S_PACKET_MAX), 0 when more are needed, -1 with why on a bad or
 * inconsistent fragment. */
int a2s_split_add(struct a2s_split *s, const uint8_t *pkt, size_t len, uint8_t *out, size_t *outlen,
		  char *why, size_t whylen);

/* What one query learnt. */
struct a2s_result {
	struct a2s_info info;
	struct a2s_player players[A2S_PLAYERS_MAX];
	size_t n_players; /* kept in players[] */
	unsigned rtt_ms;  /* A2S_INFO's round trip, the challenge excluded */
};

/* Ask the server at addr (UDP) for A2S_INFO and, if want_players, for
 * A2S_PLAYER, answering challenges; the whole exchange ends by
 * timeout_ms.  0, or -1 with why (timed out, refused, malformed). */
int a2s_query(const struct sockaddr *addr, socklen_t addrlen, bool want_players, int timeout_ms,
	      struct a2s_result *res, char *why, size_t whylen);
/* The same, starting with *challenge, the one this server gave last time
 * (0: none known), and leaving in it the one it gave now: a poller that
 * keeps it asks in two round trips, not four. */
int a2s_query_known(const struct sockaddr *addr, socklen_t addrlen, bool want_players,
		    int timeout_ms, uint32_t *challenge, struct a2s_result *res, char *why,
		    size_t whylen);

#endif
