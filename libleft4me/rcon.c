/* RCON passwords and their redaction; see rcon.h.  Tested in
 * tests/unit/check_rcon.c. */
#include "rcon.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

static const char rcon_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

int rcon_password_generate(char out[RCON_PASSWORD_LEN + 1])
{
	unsigned char buf[64];
	size_t n = 0, i = sizeof(buf);

	/* Rejection sampling: a byte of 248 or more would favour the first
	 * 248 % 62 letters, so it is drawn again. */
	while (n < RCON_PASSWORD_LEN) {
		if (i == sizeof(buf)) {
			size_t got = 0;

			while (got < sizeof(buf)) {
				ssize_t r = getrandom(buf + got, sizeof(buf) - got, 0);

				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0) {
					explicit_bzero(buf, sizeof(buf));
					return -1;
				}
				got += (size_t)r;
			}
			i = 0;
		}
		if (buf[i] < 248)
			out[n++] = rcon_alphabet[buf[i] % 62];
		i++;
	}
	out[n] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

bool rcon_password_ok(const char *s)
{
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	if (len < RCON_PASSWORD_MIN || len > RCON_PASSWORD_MAX)
		return false;
	return strspn(s, rcon_alphabet) == len;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

long rcon_setting_at(const char *s, size_t len)
{
	static const char word[] = RCON_SETTING;
	size_t w = sizeof(word) - 1, i, j;

	for (i = 0; i + w <= len; i++) {
		for (j = 0; j < w && lower((unsigned char)s[i + j]) == word[j]; j++)
			;
		if (j == w)
			return (long)i;
	}
	return -1;
}

/* Append src[0..n) to out at *o, never past outlen. */
static void put(char *out, size_t outlen, size_t *o, const char *src, size_t n)
{
	if (*o >= outlen)
		return;
	if (n > outlen - *o)
		n = outlen - *o;
	memcpy(out + *o, src, n);
	*o += n;
}

size_t rcon_redact(const char *s, size_t len, const char *secret, char *out, size_t outlen)
{
	static const char mark[] = "(withheld)";
	size_t slen = secret ? strlen(secret) : 0, i = 0, o = 0;
	long at = rcon_setting_at(s, len);

	if (at >= 0)
		len = (size_t)at + sizeof(RCON_SETTING) - 1;
	while (i < len) {
		if (slen > 0 && len - i >= slen && memcmp(s + i, secret, slen) == 0) {
			put(out, outlen, &o, mark, sizeof(mark) - 1);
			i += slen;
			continue;
		}
		put(out, outlen, &o, s + i, 1);
		i++;
	}
	if (at >= 0)
		put(out, outlen, &o, RCON_WITHHELD, sizeof(RCON_WITHHELD) - 1);
	if (o < outlen)
		out[o] = '\0';
	return o;
}
