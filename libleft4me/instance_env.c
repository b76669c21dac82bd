/* instance.env parser and writer; the format is documented in
 * instance_env.h.  Pure (no I/O): the worker formats, the left4me-overlay
 * helper (root) parses, so everything here treats its text as hostile.
 * Table-tested in tests/unit/check_instance_env.c. */
#include "instance_env.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch_args.h"
#include "parse.h"
#include "strbuf.h"
#include "xalloc.h"

enum env_key {
	KEY_LOWERDIRS,
	KEY_PORT,
	KEY_MAP,
	KEY_MAXPLAYERS,
	KEY_TICKRATE, /* optional from here on */
	KEY_ARGS,
	KEY_COUNT
};
#define KEY_FIRST_OPTIONAL KEY_TICKRATE

static const char *const key_names[KEY_COUNT] = {
    [KEY_LOWERDIRS] = "L4D2_LOWERDIRS",
    [KEY_PORT] = "L4D2_PORT",
    [KEY_MAP] = "L4D2_MAP",
    [KEY_MAXPLAYERS] = "L4D2_MAXPLAYERS",
    [KEY_TICKRATE] = "L4D2_TICKRATE",
    [KEY_ARGS] = "L4D2_ARGS",
};

static void set_err(char *err, size_t errlen, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err || errlen == 0)
		return;
	if (line > 0)
		n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return; /* truncated message is still a message */
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool value_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       strchr("_@%+=:,./-", c) != NULL;
}

static bool key_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* One absolute lowerdir: no empty, "." or ".." component, no trailing '/'. */
static bool lowerdir_shape_ok(const char *s, size_t len)
{
	size_t i = 0;

	if (len < 2 || s[0] != '/' || s[len - 1] == '/' || len >= 4096)
		return false;
	while (i < len) {
		size_t start = ++i; /* skip the '/' */
		while (i < len && s[i] != '/')
			i++;
		size_t clen = i - start;
		if (clen == 0 || clen > 255)
			return false;
		if ((clen == 1 && s[start] == '.') ||
		    (clen == 2 && s[start] == '.' && s[start + 1] == '.'))
			return false;
	}
	return true;
}

static int parse_lowerdirs(struct instance_env *env, const char *v, size_t len, unsigned line,
			   char *err, size_t errlen)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && v[i] != ':')
			continue;
		if (!lowerdir_shape_ok(v + start, i - start)) {
			set_err(err, errlen, line,
				"L4D2_LOWERDIRS: lowerdir %zu is not a clean absolute path",
				env->n_lowerdirs + 1);
			return -1;
		}
		if (env->n_lowerdirs >= INSTANCE_ENV_MAX_LOWERDIRS) {
			set_err(err, errlen, line, "L4D2_LOWERDIRS: more than %d lowerdirs",
				INSTANCE_ENV_MAX_LOWERDIRS);
			return -1;
		}
		env->lowerdirs =
		    xreallocarray(env->lowerdirs, env->n_lowerdirs + 1, sizeof(*env->lowerdirs));
		env->lowerdirs[env->n_lowerdirs++] = xstrndup(v + start, i - start);
		start = i + 1;
	}
	return 0;
}

static bool map_ok(const char *v, size_t len)
{
	char map[LAUNCH_MAP_MAX + 1];

	if (len < 1 || len > LAUNCH_MAP_MAX)
		return false;
	memcpy(map, v, len);
	map[len] = '\0';
	return launch_map_ok(map);
}

static int parse_args(struct instance_env *env, const char *v, size_t len, unsigned line, char *err,
		      size_t errlen)
{
	char *text = xstrndup(v, len), why[512];
	int rc = launch_args_split(text, &env->args, &env->n_args, why, sizeof(why));

	free(text);
	if (rc < 0) { /* the value's characters are checked already: safe to log */
		char *list = strstr(why, " (allowed: ");

		if (list) /* the journal line names the option; the list is in the docs */
			*list = '\0';
		set_err(err, errlen, line, "L4D2_ARGS: %s", why);
	}
	return rc;
}

static int set_value(struct instance_env *env, enum env_key key, const char *v, size_t len,
		     unsigned line, char *err, size_t errlen)
{
	long long n;

	switch (key) {
	case KEY_LOWERDIRS:
		return parse_lowerdirs(env, v, len, line, err, errlen);
	case KEY_PORT:
		if (parse_int_n(v, len, 1024, 65535, &n) < 0) {
			set_err(err, errlen, line, "L4D2_PORT: not a port in 1024..65535");
			return -1;
		}
		env->port = (int)n;
		return 0;
	case KEY_MAP:
		if (!map_ok(v, len)) {
			set_err(err, errlen, line, "L4D2_MAP: not [A-Za-z0-9_]{1,64}");
			return -1;
		}
		env->map = xstrndup(v, len);
		return 0;
	case KEY_MAXPLAYERS:
		if (parse_int_n(v, len, 1, 32, &n) < 0) {
			set_err(err, errlen, line, "L4D2_MAXPLAYERS: not a number in 1..32");
			return -1;
		}
		env->maxplayers = (int)n;
		return 0;
	case KEY_TICKRATE:
		if (parse_int_n(v, len, LAUNCH_TICKRATE_MIN, LAUNCH_TICKRATE_MAX, &n) < 0) {
			set_err(err, errlen, line, "L4D2_TICKRATE: not a number in %d..%d",
				LAUNCH_TICKRATE_MIN, LAUNCH_TICKRATE_MAX);
			return -1;
		}
		env->tickrate = (int)n;
		return 0;
	case KEY_ARGS:
		return parse_args(env, v, len, line, err, errlen);
	case KEY_COUNT:
		break;
	}
	return -1;
}

/* Parse one "KEY=VALUE" line (without its newline). */
static int parse_line(struct instance_env *env, bool seen[KEY_COUNT], const char *p, size_t len,
		      unsigned line, char *err, size_t errlen)
{
	size_t i = 0, klen, vstart, vlen;
	enum env_key key;
	bool quoted = false;

	while (i < len && key_char(p[i], i == 0))
		i++;
	klen = i;
	if (klen == 0 || i >= len || p[i] != '=') {
		set_err(err, errlen, line, "expected KEY=VALUE");
		return -1;
	}
	for (key = 0; key < KEY_COUNT; key++)
		if (strlen(key_names[key]) == klen && memcmp(key_names[key], p, klen) == 0)
			break;
	if (key == KEY_COUNT) {
		set_err(err, errlen, line, "unknown key %.*s", (int)(klen > 64 ? 64 : klen), p);
		return -1;
	}
	if (seen[key]) {
		set_err(err, errlen, line, "duplicate key %s", key_names[key]);
		return -1;
	}
	seen[key] = true;

	vstart = klen + 1;
	vlen = len - vstart;
	if (vlen > 0 && p[vstart] == '"') {
		if (vlen < 2 || p[len - 1] != '"') {
			set_err(err, errlen, line, "%s: unbalanced quote", key_names[key]);
			return -1;
		}
		quoted = true;
		vstart++;
		vlen -= 2;
	}
	if (vlen > INSTANCE_ENV_MAX_VALUE) {
		set_err(err, errlen, line, "%s: value longer than %d bytes", key_names[key],
			INSTANCE_ENV_MAX_VALUE);
		return -1;
	}
	for (i = vstart; i < vstart + vlen; i++) {
		char c = p[i];
		if (value_char(c) || (quoted && c == ' '))
			continue;
		if (c == '"' || c == '\'')
			set_err(err, errlen, line, "%s: stray quote", key_names[key]);
		else if (c == '\\')
			set_err(err, errlen, line, "%s: escapes are not allowed", key_names[key]);
		else
			set_err(err, errlen, line, "%s: character 0x%02x not allowed",
				key_names[key], (unsigned char)c);
		return -1;
	}
	if (vlen == 0) {
		set_err(err, errlen, line, "%s: empty value", key_names[key]);
		return -1;
	}
	return set_value(env, key, p + vstart, vlen, line, err, errlen);
}

int instance_env_parse(const char *text, size_t len, struct instance_env *env, char *err,
		       size_t errlen)
{
	bool seen[KEY_COUNT] = {false};
	unsigned line = 0;
	size_t pos = 0;

	memset(env, 0, sizeof(*env));
	if (len > INSTANCE_ENV_MAX_SIZE) {
		set_err(err, errlen, 0, "file larger than %d bytes", INSTANCE_ENV_MAX_SIZE);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		set_err(err, errlen, 0, "NUL byte in file");
		return -1;
	}
	while (pos < len) {
		const char *p = text + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - p) : len - pos;
		size_t i;

		line++;
		pos += llen + (nl ? 1 : 0);
		for (i = 0; i < llen && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		if (i == llen || p[0] == '#')
			continue;
		if (i > 0) {
			set_err(err, errlen, line, "leading whitespace");
			goto fail;
		}
		if (parse_line(env, seen, p, llen, line, err, errlen) < 0)
			goto fail;
	}
	for (enum env_key k = 0; k < KEY_FIRST_OPTIONAL; k++) {
		if (!seen[k]) {
			set_err(err, errlen, 0, "missing key %s", key_names[k]);
			goto fail;
		}
	}
	return 0;
fail:
	instance_env_fini(env);
	return -1;
}

char *instance_env_format(const struct instance_env *env, char *err, size_t errlen)
{
	struct strbuf sb;
	struct instance_env check;
	char perr[256];

	strbuf_init(&sb);
	strbuf_puts(&sb,
		    "# written by left4me-worker; read by left4me-overlay and left4me-launcher\n");
	strbuf_puts(&sb, "L4D2_LOWERDIRS=\"");
	for (size_t i = 0; i < env->n_lowerdirs; i++) {
		if (i > 0)
			strbuf_putc(&sb, ':');
		strbuf_puts(&sb, env->lowerdirs[i] ? env->lowerdirs[i] : "");
	}
	strbuf_printf(&sb, "\"\nL4D2_PORT=%d\nL4D2_MAP=%s\nL4D2_MAXPLAYERS=%d\n", env->port,
		      env->map ? env->map : "", env->maxplayers);
	if (env->tickrate)
		strbuf_printf(&sb, "L4D2_TICKRATE=%d\n", env->tickrate);
	if (env->n_args > 0) {
		strbuf_puts(&sb, "L4D2_ARGS=\"");
		for (size_t i = 0; i < env->n_args; i++)
			strbuf_printf(&sb, "%s%s", i ? " " : "", env->args[i] ? env->args[i] : "");
		strbuf_puts(&sb, "\"\n");
	}
	/* Whatever we write must read back: one parser is the one truth. */
	if (env->n_lowerdirs == 0 ||
	    instance_env_parse(sb.buf, sb.len, &check, perr, sizeof(perr)) < 0) {
		set_err(err, errlen, 0, "%s", env->n_lowerdirs == 0 ? "no lowerdirs" : perr);
		strbuf_fini(&sb);
		return NULL;
	}
	instance_env_fini(&check);
	char *text = strbuf_detach(&sb);
	strbuf_fini(&sb); /* detach leaves a fresh empty buffer */
	return text;
}

void instance_env_fini(struct instance_env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->n_lowerdirs; i++)
		free(env->lowerdirs[i]);
	free(env->lowerdirs);
	free(env->map);
	launch_args_free(env->args);
	memset(env, 0, sizeof(*env));
}
