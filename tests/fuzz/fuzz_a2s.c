/* Fuzz target: the A2S reply parsers (libleft4me/a2s.h).  The input is
 * one datagram; it is also cut into split fragments.  Properties:
 *  - a2s_kind agrees with the parsers: a parser accepts only a datagram of
 *    its own kind, and a refusal comes with a non-empty one-line reason;
 *  - every string field is NUL-terminated within its array, valid UTF-8,
 *    and holds no C0/DEL/C1 control character;
 *  - an accepted info reply never has more bots than players; a player
 *    reply keeps at most max players and each duration is finite, >= 0;
 *  - reassembling fragments never writes more than the fragments held, and
 *    a completed reply is exactly their payloads in order. */
#include "fuzz.h"

#include <math.h>
#include <stdbool.h>

#include "a2s.h"
#include "validate.h"

static void check_str(const char *s, size_t cap, const char *what)
{
	size_t n = strnlen(s, cap);

	FUZZ_CHECK(n < cap, "%s: not NUL-terminated", what);
	FUZZ_CHECK(valid_utf8(s, n), "%s: invalid UTF-8", what);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		FUZZ_CHECK(c >= 0x20 && c != 0x7F, "%s: control byte 0x%02x", what, c);
		FUZZ_CHECK(!(c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] < 0xA0),
			   "%s: C1 control", what);
	}
}

static void check_reason(const char *why)
{
	FUZZ_CHECK(why[0] != '\0', "refusal without a reason");
	FUZZ_CHECK(strchr(why, '\n') == NULL, "reason spans lines: %s", why);
}

static void fuzz_info(const uint8_t *data, size_t size, enum a2s_kind kind)
{
	static struct a2s_info in;
	char why[256] = "";

	if (a2s_parse_info(data, size, &in, why, sizeof(why)) < 0) {
		check_reason(why);
		return;
	}
	FUZZ_CHECK(kind == A2S_INFO_REPLY, "info accepted from kind %d", kind);
	FUZZ_CHECK(in.bots <= in.players, "%u bots, %u players", in.bots, in.players);
	check_str(in.name, sizeof(in.name), "name");
	check_str(in.map, sizeof(in.map), "map");
	check_str(in.folder, sizeof(in.folder), "folder");
	check_str(in.game, sizeof(in.game), "game");
	check_str(in.version, sizeof(in.version), "version");
	check_str(in.keywords, sizeof(in.keywords), "keywords");
}

static void fuzz_players(const uint8_t *data, size_t size, enum a2s_kind kind)
{
	static struct a2s_player pl[8];
	char why[256] = "";
	size_t n = 99;
	uint8_t count = 0;

	if (a2s_parse_players(data, size, pl, 8, &n, &count, why, sizeof(why)) < 0) {
		check_reason(why);
		return;
	}
	FUZZ_CHECK(kind == A2S_PLAYER_REPLY, "players accepted from kind %d", kind);
	FUZZ_CHECK(n <= 8 && n <= count, "kept %zu of %u", n, count);
	for (size_t i = 0; i < n; i++) {
		check_str(pl[i].name, sizeof(pl[i].name), "player name");
		FUZZ_CHECK(isfinite(pl[i].duration) && pl[i].duration >= 0.0f, "duration %f",
			   (double)pl[i].duration);
	}
}

/* The input as up to 4 fragments, each a length byte L and then
 * min(L * 8 + 1, what is left) bytes. */
static void fuzz_split(const uint8_t *data, size_t size)
{
	static struct a2s_split s;
	static uint8_t out[A2S_SPLIT_MAX * A2S_PACKET_MAX];
	size_t off = 0, payload = 0, outlen = 0;

	a2s_split_init(&s);
	for (int k = 0; k < 4 && off + 1 < size; k++) {
		size_t n = 1 + data[off++] * 8u;
		char why[256] = "";
		int rc;

		if (n > size - off)
			n = size - off;
		rc = a2s_split_add(&s, data + off, n, out, &outlen, why, sizeof(why));
		if (rc < 0) {
			check_reason(why);
			return;
		}
		payload += n - 12;
		if (rc == 1) {
			FUZZ_CHECK(outlen <= payload, "reassembled %zu of %zu payload bytes",
				   outlen, payload);
			return;
		}
		off += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum a2s_kind kind = a2s_kind(data, size);
	uint32_t c;
	char why[256] = "";

	fuzz_info(data, size, kind);
	fuzz_players(data, size, kind);
	if (a2s_parse_challenge(data, size, &c, why, sizeof(why)) == 0)
		FUZZ_CHECK(kind == A2S_CHALLENGE && size == 9, "challenge of %zu bytes", size);
	fuzz_split(data, size);
	return 0;
}
