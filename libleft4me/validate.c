/* Validators for untrusted input; see validate.h.  Table-tested in
 * tests/unit/check_validate.c. */
#include "validate.h"

#include <string.h>

#include "parse.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool valid_instance_name(const char *s)
{
	size_t i;

	if (!s || !is_lower_alnum(s[0]))
		return false;
	for (i = 1; s[i]; i++) {
		if (i >= INSTANCE_NAME_MAX)
			return false;
		if (!is_lower_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

bool valid_server_name(const char *s)
{
	return valid_instance_name(s) && strlen(s) <= SERVER_NAME_MAX;
}

bool valid_source_name(const char *s)
{
	return valid_instance_name(s);
}

bool valid_username(const char *s)
{
	size_t i;

	if (!s || !is_lower_alnum(s[0]))
		return false;
	for (i = 1; s[i]; i++) {
		if (i >= USERNAME_MAX)
			return false;
		if (!is_lower_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	}
	return true;
}

bool valid_id(const char *s, int64_t *out)
{
	long long v;

	if (parse_int(s, 1, (1LL << 53), &v) < 0)
		return false;
	if (out)
		*out = v;
	return true;
}

bool valid_port(const char *s, int *out)
{
	long long v;

	if (parse_int(s, 1, 65535, &v) < 0)
		return false;
	if (out)
		*out = (int)v;
	return true;
}

bool valid_server_port(long long port)
{
	return port >= 1024 && port <= 65535;
}

bool valid_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000))
			return false; /* overlong */
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

bool valid_display_name(const char *s)
{
	size_t len, i;
	bool nonspace = false;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 0 || len > DISPLAY_NAME_MAX || !valid_utf8(s, len))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		/* C1 controls, U+0080..U+009F (NEL, CSI ...) */
		if (c == 0xc2 && (unsigned char)s[i + 1] <= 0x9f)
			return false;
		if (c != ' ')
			nonspace = true;
	}
	return nonspace;
}

bool valid_overlay_path(const char *s)
{
	size_t len, i, comp = 0;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 0 || len > OVERLAY_PATH_MAX || s[0] == '/')
		return false;
	for (i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '/' || c == '\0') {
			const char *start = s + i - comp;

			if (comp == 0 || comp > PATH_COMPONENT_MAX)
				return false;
			if ((comp == 1 && start[0] == '.') ||
			    (comp == 2 && start[0] == '.' && start[1] == '.'))
				return false;
			comp = 0;
			continue;
		}
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f || c == '\\')
			return false;
		comp++;
	}
	return true;
}

bool valid_password(const char *s)
{
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	return len >= PASSWORD_MIN && len <= PASSWORD_MAX;
}

/* left4me-YYYYMMDDTHHMMSSZ.tar.zst (backup_dir.h). */
bool backup_name_ok(const char *n)
{
	size_t pl = strlen("left4me-"), sl = strlen(".tar.zst");

	if (strlen(n) != pl + 16 + sl || strncmp(n, "left4me-", pl) != 0 ||
	    strcmp(n + pl + 16, ".tar.zst") != 0)
		return false;
	for (int i = 0; i < 16; i++) {
		char c = n[pl + (size_t)i];

		if (i == 8 ? c != 'T' : i == 15 ? c != 'Z' : (c < '0' || c > '9'))
			return false;
	}
	return true;
}
