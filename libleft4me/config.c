/* left4me.yaml reader (docs/DESIGN.md §5), linked by every daemon and
 * left4mectl.  The file is operator input but is parsed strictly: libyaml
 * events become a small tree (anchors, aliases and tags refused), which is
 * walked against the static schema tables below.  Those tables also hold
 * the defaults.  The first problem ends the parse with one line,
 * "FILE:LINE:COL: KEY: reason", KEY dotted with 0-based sequence indexes. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "log.h"
#include "parse.h"
#include "strbuf.h"
#include "validate.h"
#include "xalloc.h"

#define CONFIG_MAX_BYTES  (1024 * 1024) /* a settings file, not a data set */
#define CONFIG_MAX_DEPTH  32		/* the schema needs 6 levels */
#define CONFIG_MAX_STRING 4096		/* bytes of one string value */
#define KEY_SHOW_MAX	  64		/* bytes of an unknown key quoted back */
#define FIELDS_MAX	  32		/* keys of the largest mapping */

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
	YNODE_ALIAS,
};

/* One node of the document; a mapping's kids are key, value, key, ... */
struct ynode {
	enum ynode_type type;
	yaml_mark_t mark;
	bool plain;	/* scalar without quotes or block style */
	bool decorated; /* alias, or carries an anchor or an explicit tag */
	char *text;	/* scalar bytes, NUL-terminated (may hold NULs) */
	size_t len;
	struct ynode **kids;
	size_t n_kids;
};

struct parse_ctx {
	const char *name; /* file name for messages */
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
	yaml_parser_t parser;
	struct config *cfg;
	struct strbuf path; /* dotted key of the node being read */
};

/* How a field's default is set and its memory freed. */
enum field_store {
	STORE_NONE,
	STORE_STR,
	STORE_INT,
	STORE_LLONG,
	STORE_BOOL,
	STORE_SECTION,
};

struct field;
/* Read node into dst (base + offset); on error report it and return -1. */
typedef int field_parse_fn(struct parse_ctx *ctx, const struct field *f, const struct ynode *node,
			   void *dst);
/* Cross-key checks of a section once all its keys are read. */
typedef int field_check_fn(struct parse_ctx *ctx, const struct field *fields,
			   const struct ynode *const *seen, void *base);

struct field {
	const char *key;
	field_parse_fn *parse;
	enum field_store store;
	size_t offset;		 /* from the mapping's base struct */
	long long min, max;	 /* integers */
	const char *def_str;	 /* STORE_STR default */
	long long def_num;	 /* STORE_INT/LLONG/BOOL default */
	const struct field *sub; /* STORE_SECTION: its keys */
	field_check_fn *check;	 /* STORE_SECTION: optional */
};

struct name_value {
	const char *name;
	int value;
};

static const struct name_value log_levels[] = {
    {"err", LOG_LEVEL_ERR},   {"warning", LOG_LEVEL_WARNING}, {"notice", LOG_LEVEL_NOTICE},
    {"info", LOG_LEVEL_INFO}, {"debug", LOG_LEVEL_DEBUG},     {NULL, 0},
};

static const struct name_value update_policies[] = {
    {"manual", UPDATE_MANUAL},
    {"when_empty", UPDATE_WHEN_EMPTY},
    {"window", UPDATE_WINDOW},
    {NULL, 0},
};

const char *update_policy_name(int policy)
{
	for (size_t i = 0; update_policies[i].name; i++)
		if (update_policies[i].value == policy)
			return update_policies[i].name;
	return "?";
}

static const struct name_value source_kinds[] = {
    {"json_index", SOURCE_JSON_INDEX},
    {"url_list", SOURCE_URL_LIST},
    {"html_index", SOURCE_HTML_INDEX},
    {NULL, 0},
};

/* ---- error reporting ---------------------------------------------------- */

static void err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n < 0)
		err[0] = '\0';
	else if ((size_t)n >= errlen && errlen >= 4)
		memcpy(err + errlen - 4, "...", 4); /* show that it was cut */
}

static void err_at(struct parse_ctx *ctx, size_t line, size_t col, const char *reason)
{
	if (ctx->path.len)
		err_set(ctx->err, ctx->errlen, "%s:%zu:%zu: %s: %s", ctx->name, line, col,
			ctx->path.buf, reason);
	else
		err_set(ctx->err, ctx->errlen, "%s:%zu:%zu: %s", ctx->name, line, col, reason);
}

/* Report reason at mark under the current key path; returns -1. */
static int fail(struct parse_ctx *ctx, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct parse_ctx *ctx, yaml_mark_t mark, const char *fmt, ...)
{
	struct strbuf reason;
	va_list ap;

	strbuf_init(&reason);
	va_start(ap, fmt);
	strbuf_vprintf(&reason, fmt, ap);
	va_end(ap);
	err_at(ctx, mark.line + 1, mark.column + 1, reason.buf);
	strbuf_fini(&reason);
	return -1;
}

static void syntax_error(struct parse_ctx *ctx)
{
	const yaml_parser_t *p = &ctx->parser;
	const char *problem = p->problem ? p->problem : "invalid YAML";
	size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;

	if (p->error == YAML_MEMORY_ERROR) {
		err_set(ctx->err, ctx->errlen, "%s: out of memory", ctx->name);
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* The reader gives a byte offset, not a mark. */
		size_t i, end = p->problem_offset < ctx->len ? p->problem_offset : ctx->len;

		line = 1;
		col = 1;
		for (i = 0; i < end; i++) {
			if (ctx->text[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
	}
	assert(ctx->path.len == 0);
	err_at(ctx, line, col, problem);
}

/* ---- key path ----------------------------------------------------------- */

static size_t path_push_key(struct parse_ctx *ctx, const char *key, size_t len)
{
	size_t saved = ctx->path.len;
	char shown[KEY_SHOW_MAX];

	if (saved)
		strbuf_putc(&ctx->path, '.');
	strbuf_puts(&ctx->path, log_escape(shown, sizeof(shown), key, len));
	return saved;
}

static size_t path_push_index(struct parse_ctx *ctx, size_t i)
{
	size_t saved = ctx->path.len;

	strbuf_printf(&ctx->path, "[%zu]", i);
	return saved;
}

static void path_pop(struct parse_ctx *ctx, size_t saved)
{
	ctx->path.len = saved;
	ctx->path.buf[saved] = '\0';
}

/* ---- document tree ------------------------------------------------------ */

static void ynode_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n_kids; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static int next_event(struct parse_ctx *ctx, yaml_event_t *ev)
{
	if (yaml_parser_parse(&ctx->parser, ev))
		return 0;
	syntax_error(ctx);
	return -1;
}

/* Build the node that ev starts (ev stays the caller's) into *out. */
static int tree_build(struct parse_ctx *ctx, const yaml_event_t *ev, int depth, struct ynode **out)
{
	struct ynode *n = xcalloc(1, sizeof(*n));
	yaml_event_type_t end;
	size_t cap = 0;

	n->mark = ev->start_mark;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n->type = YNODE_SCALAR;
		n->len = ev->data.scalar.length;
		n->text = xmalloc(n->len + 1);
		memcpy(n->text, ev->data.scalar.value, n->len);
		n->text[n->len] = '\0';
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->decorated = ev->data.scalar.anchor || ev->data.scalar.tag;
		*out = n;
		return 0;
	case YAML_ALIAS_EVENT:
		n->type = YNODE_ALIAS;
		n->decorated = true;
		*out = n;
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		n->type = YNODE_SEQUENCE;
		n->decorated = ev->data.sequence_start.anchor || ev->data.sequence_start.tag;
		end = YAML_SEQUENCE_END_EVENT;
		break;
	case YAML_MAPPING_START_EVENT:
		n->type = YNODE_MAPPING;
		n->decorated = ev->data.mapping_start.anchor || ev->data.mapping_start.tag;
		end = YAML_MAPPING_END_EVENT;
		break;
	default:
		/* libyaml only sends node events inside a document. */
		fail(ctx, ev->start_mark, "unexpected YAML event %d", (int)ev->type);
		goto fail;
	}
	if (depth >= CONFIG_MAX_DEPTH) {
		fail(ctx, ev->start_mark, "nested deeper than %d levels", CONFIG_MAX_DEPTH);
		goto fail;
	}
	for (;;) {
		yaml_event_t kid;
		struct ynode *k;
		int rc;

		if (next_event(ctx, &kid))
			goto fail;
		if (kid.type == end) {
			yaml_event_delete(&kid);
			break;
		}
		rc = tree_build(ctx, &kid, depth + 1, &k);
		yaml_event_delete(&kid);
		if (rc)
			goto fail;
		if (n->n_kids == cap) {
			cap = cap ? 2 * cap : 8;
			n->kids = xreallocarray(n->kids, cap, sizeof(*n->kids));
		}
		n->kids[n->n_kids++] = k;
	}
	*out = n;
	return 0;
fail:
	ynode_free(n);
	return -1;
}

/* Read the single document into *root (NULL for an empty stream). */
static int tree_load(struct parse_ctx *ctx, struct ynode **root)
{
	yaml_event_t ev;
	int rc;

	*root = NULL;
	if (next_event(ctx, &ev)) /* stream start */
		goto fail;
	yaml_event_delete(&ev);
	if (next_event(ctx, &ev))
		goto fail;
	rc = ev.type == YAML_STREAM_END_EVENT;
	yaml_event_delete(&ev); /* else document start */
	if (rc)
		return 0;
	if (next_event(ctx, &ev))
		goto fail;
	rc = tree_build(ctx, &ev, 0, root);
	yaml_event_delete(&ev);
	if (rc)
		goto fail;
	if (next_event(ctx, &ev)) /* document end */
		goto fail;
	yaml_event_delete(&ev);
	if (next_event(ctx, &ev))
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT) {
		fail(ctx, ev.start_mark, "expected a single YAML document");
		yaml_event_delete(&ev);
		goto fail;
	}
	yaml_event_delete(&ev);
	return 0;
fail:
	ynode_free(*root);
	*root = NULL;
	return -1;
}

/* ---- value readers ------------------------------------------------------ */

static bool is_null(const struct ynode *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	size_t i;

	if (n->type != YNODE_SCALAR || !n->plain)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(n->text, nulls[i]) == 0)
			return true;
	return false;
}

static int check_plain_node(struct parse_ctx *ctx, const struct ynode *n)
{
	if (n->decorated)
		return fail(ctx, n->mark, "anchors, aliases and tags are not supported");
	return 0;
}

/* The text of a string scalar, or NULL after reporting why not. */
static const char *node_string(struct parse_ctx *ctx, const struct ynode *n)
{
	if (n->type != YNODE_SCALAR || is_null(n)) {
		fail(ctx, n->mark, "expected a string");
		return NULL;
	}
	if (strlen(n->text) != n->len) {
		fail(ctx, n->mark, "contains a NUL byte");
		return NULL;
	}
	if (n->len > CONFIG_MAX_STRING) {
		fail(ctx, n->mark, "longer than %d bytes", CONFIG_MAX_STRING);
		return NULL;
	}
	return n->text;
}

static void set_string(void *dst, const char *s)
{
	char **p = dst;

	free(*p);
	*p = xstrdup(s);
}

static bool url_valid(const char *s)
{
	size_t skip;
	const char *p;

	if (strncmp(s, "http://", 7) == 0)
		skip = 7;
	else if (strncmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	if (s[skip] == '\0' || s[skip] == '/')
		return false; /* no host */
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false; /* curl wants it percent-encoded */
	return true;
}

static const char *node_url(struct parse_ctx *ctx, const struct ynode *n)
{
	const char *s = node_string(ctx, n);

	if (s && !url_valid(s)) {
		fail(ctx, n->mark, "expected an http:// or https:// URL");
		return NULL;
	}
	return s;
}

/* A source's URL: also no user info, which would be sent upstream and
 * shown in logs and job pages. */
static const char *node_source_url(struct parse_ctx *ctx, const struct ynode *n)
{
	const char *s = node_url(ctx, n), *host;

	if (!s)
		return NULL;
	host = strstr(s, "://") + 3;
	if (memchr(host, '@', strcspn(host, "/?#"))) {
		fail(ctx, n->mark, "must not carry credentials (user:password@)");
		return NULL;
	}
	return s;
}

static int lookup_name(struct parse_ctx *ctx, const struct ynode *n, const struct name_value *table,
		       const char *expected, int *out)
{
	const char *s = node_string(ctx, n);
	size_t i;

	if (!s)
		return -1;
	for (i = 0; table[i].name; i++) {
		if (strcmp(s, table[i].name) == 0) {
			*out = table[i].value;
			return 0;
		}
	}
	return fail(ctx, n->mark, "expected %s", expected);
}

/* ---- field parsers ------------------------------------------------------ */

static int parse_path(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
		      void *dst)
{
	const char *s = node_string(ctx, n);

	(void)f;
	if (!s)
		return -1;
	if (s[0] != '/')
		return fail(ctx, n->mark, "must be an absolute path");
	set_string(dst, s);
	return 0;
}

static int parse_url(struct parse_ctx *ctx, const struct field *f, const struct ynode *n, void *dst)
{
	const char *s = node_url(ctx, n);

	(void)f;
	if (!s)
		return -1;
	set_string(dst, s);
	return 0;
}

static int parse_source_url(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			    void *dst)
{
	const char *s = node_source_url(ctx, n);

	(void)f;
	if (!s)
		return -1;
	set_string(dst, s);
	return 0;
}

static int parse_listen(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			void *dst)
{
	const char *s = node_string(ctx, n), *why;

	(void)f;
	if (!s)
		return -1;
	if (parse_host_port(s, NULL, NULL, &why) < 0)
		return fail(ctx, n->mark, "%s", why);
	set_string(dst, s);
	return 0;
}

/* web.game_host: empty (the host of web.public_url), or parse_game_host's. */
static int parse_game_host_field(struct parse_ctx *ctx, const struct field *f,
				 const struct ynode *n, void *dst)
{
	const char *s = node_string(ctx, n), *why;
	char host[PARSE_GAME_HOST_MAX];

	(void)f;
	if (!s)
		return -1;
	if (s[0] && parse_game_host(s, host, &why) < 0)
		return fail(ctx, n->mark, "%s", why);
	set_string(dst, s);
	return 0;
}

static int parse_update_policy(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			       void *dst)
{
	(void)f;
	return lookup_name(ctx, n, update_policies, "manual, when_empty or window", dst);
}

/* "HH:MM" (two digits each, leading zeros as clocks write them). */
static int hhmm(const char *s, int *minutes)
{
	for (int i = 0; i < 5; i++)
		if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');

	if (h > 23 || m > 59)
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

int config_window_parse(const char *s, int *start, int *end, char *why, size_t whylen)
{
	if (strlen(s) != 11 || s[5] != '-' || hhmm(s, start) < 0 || hhmm(s + 6, end) < 0) {
		err_set(why, whylen, "expected HH:MM-HH:MM in local time (got '%.32s')", s);
		return -1;
	}
	if (*start == *end) {
		err_set(why, whylen, "the window's start and end are the same");
		return -1;
	}
	return 0;
}

static int parse_window(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			void *dst)
{
	const char *s = node_string(ctx, n);
	char why[128];
	int a, b;

	(void)f;
	if (!s)
		return -1;
	if (config_window_parse(s, &a, &b, why, sizeof(why)) < 0)
		return fail(ctx, n->mark, "%s", why);
	set_string(dst, s);
	return 0;
}

static int parse_bool(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
		      void *dst)
{
	bool *b = dst;

	(void)f;
	if (n->type == YNODE_SCALAR && n->plain) {
		if (strcmp(n->text, "true") == 0 || strcmp(n->text, "yes") == 0) {
			*b = true;
			return 0;
		}
		if (strcmp(n->text, "false") == 0 || strcmp(n->text, "no") == 0) {
			*b = false;
			return 0;
		}
	}
	return fail(ctx, n->mark, "expected true or false");
}

/* Integers are plain scalars: a quoted "5" is a string in YAML. */
static int parse_number(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			void *dst)
{
	long long v;

	if (n->type != YNODE_SCALAR || !n->plain ||
	    parse_int_n(n->text, n->len, f->min, f->max, &v))
		return fail(ctx, n->mark, "expected an integer between %lld and %lld", f->min,
			    f->max);
	if (f->store == STORE_INT)
		*(int *)dst = (int)v;
	else
		*(long long *)dst = v;
	return 0;
}

static int parse_log_level(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			   void *dst)
{
	(void)f;
	return lookup_name(ctx, n, log_levels, "err, warning, notice, info or debug", dst);
}

static int walk_map(struct parse_ctx *ctx, const struct ynode *map, const struct field *fields,
		    void *base, const struct ynode **seen);

static int parse_section(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			 void *dst)
{
	const struct ynode *seen[FIELDS_MAX] = {NULL};

	if (walk_map(ctx, n, f->sub, dst, seen))
		return -1;
	return f->check ? f->check(ctx, f->sub, seen, dst) : 0;
}

static int parse_source_name(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			     void *dst)
{
	const struct config *cfg = ctx->cfg;
	const char *s = node_string(ctx, n);
	size_t i;

	(void)f;
	if (!s)
		return -1;
	if (!valid_source_name(s))
		return fail(ctx, n->mark,
			    "invalid source name (expected [a-z0-9][a-z0-9_-]{0,63})");
	for (i = 0; i < cfg->fetcher.n_sources; i++) {
		const char *other = cfg->fetcher.sources[i].name;

		if (&cfg->fetcher.sources[i].name != dst && other && strcmp(other, s) == 0)
			return fail(ctx, n->mark, "duplicate source name");
	}
	set_string(dst, s);
	return 0;
}

static int parse_source_kind(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			     void *dst)
{
	int kind;

	(void)f;
	if (lookup_name(ctx, n, source_kinds, "json_index, url_list or html_index", &kind))
		return -1;
	*(enum source_kind *)dst = (enum source_kind)kind;
	return 0;
}

/* dst is the whole struct config_source: sets urls and n_urls. */
static int parse_source_urls(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			     void *dst)
{
	struct config_source *src = dst;
	size_t i;

	(void)f;
	assert(!src->urls);
	if (is_null(n))
		return 0;
	if (n->type != YNODE_SEQUENCE)
		return fail(ctx, n->mark, "expected a sequence");
	src->urls = xcalloc(n->n_kids, sizeof(*src->urls));
	for (i = 0; i < n->n_kids; i++) {
		size_t saved = path_push_index(ctx, i);
		const char *url;

		if (check_plain_node(ctx, n->kids[i]))
			return -1;
		url = node_source_url(ctx, n->kids[i]);
		if (!url)
			return -1;
		src->urls[src->n_urls++] = xstrdup(url);
		path_pop(ctx, saved);
	}
	return 0;
}

/* web.trusted_proxies: a sequence of addresses or CIDR blocks (netaddr.h). */
static int parse_trusted_proxies(struct parse_ctx *ctx, const struct field *f,
				 const struct ynode *n, void *dst)
{
	struct config *cfg = ctx->cfg;
	size_t i;

	(void)f;
	(void)dst;
	assert(!cfg->web.trusted_proxies);
	if (is_null(n))
		return 0;
	if (n->type != YNODE_SEQUENCE)
		return fail(ctx, n->mark, "expected a sequence of addresses");
	if (n->n_kids > CONFIG_MAX_TRUSTED_PROXIES)
		return fail(ctx, n->mark, "more than %d entries", CONFIG_MAX_TRUSTED_PROXIES);
	cfg->web.trusted_proxies = xcalloc(n->n_kids ? n->n_kids : 1, sizeof(struct netaddr_block));
	for (i = 0; i < n->n_kids; i++) {
		size_t saved = path_push_index(ctx, i);
		const char *s, *why = NULL;

		if (check_plain_node(ctx, n->kids[i]))
			return -1;
		s = node_string(ctx, n->kids[i]);
		if (!s)
			return -1;
		if (netaddr_parse_block(s, &cfg->web.trusted_proxies[i], &why) < 0)
			return fail(ctx, n->kids[i]->mark, "%s", why);
		cfg->web.n_trusted_proxies++;
		path_pop(ctx, saved);
	}
	return 0;
}

/* ---- schema ------------------------------------------------------------- */

#define F_STR(k, fn, member, d)                                                                    \
	{                                                                                          \
		.key = k, .parse = fn, .store = STORE_STR,                                         \
		.offset = offsetof(struct config, member), .def_str = d                            \
	}
#define F_INT(k, member, lo, hi, d)                                                                \
	{                                                                                          \
		.key = k, .parse = parse_number, .store = STORE_INT,                               \
		.offset = offsetof(struct config, member), .min = lo, .max = hi, .def_num = d      \
	}
#define F_LLONG(k, member, lo, hi, d)                                                              \
	{                                                                                          \
		.key = k, .parse = parse_number, .store = STORE_LLONG,                             \
		.offset = offsetof(struct config, member), .min = lo, .max = hi, .def_num = d      \
	}
#define F_BOOL(k, member, d)                                                                       \
	{                                                                                          \
		.key = k, .parse = parse_bool, .store = STORE_BOOL,                                \
		.offset = offsetof(struct config, member), .def_num = d                            \
	}

#define KIB 1024LL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define TIB (1024 * GIB)
#define DAY 86400

static const struct field web_fields[] = {
    F_STR("listen", parse_listen, web.listen, "127.0.0.1:8080"),
    F_STR("public_url", parse_url, web.public_url, "http://127.0.0.1:8080/"),
    F_BOOL("secure_cookies", web.secure_cookies, true),
    F_STR("game_host", parse_game_host_field, web.game_host, ""),
    F_STR("secret_file", parse_path, web.secret_file, "/etc/left4me/secret"),
    F_INT("max_connections", web.max_connections, 1, 1000000, 16384),
    F_INT("per_ip_connections", web.per_ip_connections, 1, 1000000, 256),
    F_INT("connection_timeout", web.connection_timeout, 1, DAY, 60),
    F_INT("header_timeout", web.header_timeout, 1, DAY, 30),
    F_INT("body_timeout", web.body_timeout, 1, DAY, 30),
    F_LLONG("body_min_rate", web.body_min_rate, 1, GIB, 1024),
    F_INT("max_streams_per_user", web.max_streams_per_user, 1, 1000000, 32),
    F_LLONG("max_body", web.max_body, 1, GIB, MIB),
    F_LLONG("max_upload", web.max_upload, 1, TIB, 512 * MIB),
    F_LLONG("max_edit", web.max_edit, 1, GIB, MIB),
    F_INT("session_ttl", web.session_ttl, 1, 366 * DAY, 7 * DAY),
    F_INT("login_max_failures", web.login_max_failures, 1, 1000000, 5),
    F_INT("login_ip_max_failures", web.login_ip_max_failures, 1, 1000000, 20),
    F_INT("login_delay", web.login_delay, 1, DAY, 1),
    F_INT("login_max_delay", web.login_max_delay, 1, DAY, 300),
    F_INT("login_window", web.login_window, 1, 30 * DAY, 900),
    F_INT("login_throttle_keys", web.login_throttle_keys, 16, 10000000, 16384),
    {.key = "trusted_proxies", .parse = parse_trusted_proxies, .store = STORE_NONE},
    {NULL},
};

static int worker_check(struct parse_ctx *ctx, const struct field *fields,
			const struct ynode *const *seen, void *base);

static const struct field worker_fields[] = {
    F_STR("helper_dir", parse_path, worker.helper_dir, "/usr/libexec/left4me"),
    F_BOOL("sudo", worker.sudo, true),
    F_STR("steamcmd", parse_path, worker.steamcmd, "/usr/games/steamcmd"),
    F_INT("heartbeat_interval", worker.heartbeat_interval, 1, 3600, 5),
    F_INT("stale_after", worker.stale_after, 1, DAY, 30),
    F_INT("helper_timeout", worker.helper_timeout, 1, DAY, 120),
    F_INT("build_timeout", worker.build_timeout, 1, 7 * DAY, 3600),
    F_INT("install_timeout", worker.install_timeout, 1, 7 * DAY, 10800),
    F_INT("steamcmd_tries", worker.steamcmd_tries, 1, 100, 5),
    F_INT("steamcmd_backoff", worker.steamcmd_backoff, 0, 3600, 15),
    F_LLONG("max_job_log", worker.max_job_log, 64 * KIB, 16 * GIB, 16 * MIB),
    {NULL},
};

static int parse_sources(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			 void *dst);

/* fetcher.workshop (issue 15): where the Steam Web API is, whether it and
 * the file hosts may be private addresses (the loopback stand-in of the
 * tests; same rule as a source's allow_private), and the bounds of one
 * overlay: its list, what its collections resolve to (nested at most
 * max_depth deep), one item's vpk and preview. */
static const struct field workshop_fields[] = {
    F_STR("api_url", parse_source_url, fetcher.workshop.api_url, "https://api.steampowered.com/"),
    F_BOOL("allow_private", fetcher.workshop.allow_private, false),
    F_LLONG("max_item_bytes", fetcher.workshop.max_item_bytes, 1, TIB, 4 * GIB),
    F_LLONG("max_preview_bytes", fetcher.workshop.max_preview_bytes, 1, GIB, 4 * MIB),
    F_INT("max_ids", fetcher.workshop.max_ids, 1, 100000, 1000),
    F_INT("max_items", fetcher.workshop.max_items, 1, 100000, 5000),
    F_INT("max_depth", fetcher.workshop.max_depth, 1, 16, 3),
    {NULL},
};

static const struct field fetcher_fields[] = {
    {.key = "sources", .parse = parse_sources, .store = STORE_NONE},
    F_INT("parallel", fetcher.parallel, 1, 256, 4),
    F_INT("max_host_connections", fetcher.max_host_connections, 1, 256, 4),
    F_LLONG("max_file_size", fetcher.max_file_size, 1, TIB, 4 * GIB),
    F_LLONG("max_extract_size", fetcher.max_extract_size, 1, 16 * TIB, 16 * GIB),
    F_INT("max_entries", fetcher.max_entries, 1, 10000000, 10000),
    F_INT("low_speed_time", fetcher.low_speed_time, 1, 3600, 30),
    F_INT("low_speed_limit", fetcher.low_speed_limit, 1, (int)GIB, 1024),
    F_INT("retries", fetcher.retries, 0, 100, 3),
    F_INT("refresh_timeout", fetcher.refresh_timeout, 1, 7 * DAY, 7200),
    {.key = "workshop", .parse = parse_section, .store = STORE_SECTION, .sub = workshop_fields},
    {NULL},
};

static int sandbox_check(struct parse_ctx *ctx, const struct field *fields,
			 const struct ynode *const *seen, void *base);

/* A build writes what the fetcher would download and unpack for one
 * archive: its limits are the defaults. */
static const struct field sandbox_fields[] = {
    F_LLONG("max_file_size", sandbox.max_file_size, MIB, TIB, 4 * GIB),
    F_LLONG("max_output", sandbox.max_output, MIB, 16 * TIB, 16 * GIB),
    {NULL},
};

/* Quotas of a non-admin user (0: unlimited).  Room for a few game servers
 * and what they are built from; far below what fills a disk or takes
 * every port. */
static const struct field quota_fields[] = {
    F_INT("servers", quotas.servers, 0, 1000000, 10),
    F_INT("overlays", quotas.overlays, 0, 1000000, 50),
    F_INT("blueprints", quotas.blueprints, 0, 1000000, 50),
    F_INT("queued_jobs", quotas.queued_jobs, 0, 1000000, 20),
    F_LLONG("overlay_bytes", quotas.overlay_bytes, 0, 1024 * TIB, 2 * GIB),
    F_LLONG("total_bytes", quotas.total_bytes, 0, 1024 * TIB, 10 * GIB),
    F_LLONG("build_output_bytes", quotas.build_output_bytes, 0, 1024 * TIB, 32 * GIB),
    {NULL},
};

static const struct field backup_fields[] = {
    F_STR("dir", parse_path, backup.dir, "/var/backups/left4me"),
    F_INT("retention", backup.retention, 1, 10000, 7),
    F_LLONG("export_max_bytes", backup.export_max_bytes, 1, 16 * TIB, 4 * GIB),
    F_INT("export_ttl", backup.export_ttl, 60, 7 * DAY, 3600),
    {NULL},
};

/* left4me-status (issue 14): how often it asks every running server over
 * A2S and samples its unit, how long one A2S exchange may take, and how
 * many minutes of history it keeps. */
static const struct field status_fields[] = {
    F_INT("poll_interval", status.poll_interval, 1, 3600, 5),
    F_INT("a2s_timeout", status.a2s_timeout, 50, 10000, 1000),
    F_INT("history_minutes", status.history_minutes, 1, 366 * 24 * 60, 24 * 60),
    {NULL},
};

/* Schedules per server (issue 16): how late a firing the worker missed
 * (it was down or busy) may still run, and how many one server has. */
static const struct field schedules_fields[] = {
    F_INT("grace_seconds", schedules.grace_seconds, 0, DAY, 300),
    F_INT("max_per_server", schedules.max_per_server, 1, 10000, 20),
    {NULL},
};

/* The update policy (issue 16): the worker acts on a newer build. */
static const struct field updates_fields[] = {
    {.key = "policy",
     .parse = parse_update_policy,
     .store = STORE_INT,
     .offset = offsetof(struct config, updates.policy),
     .def_num = UPDATE_MANUAL},
    F_STR("window", parse_window, updates.window, "04:00-05:00"),
    {NULL},
};

static const struct field config_fields[] = {
    F_STR("state_dir", parse_path, state_dir, "/var/lib/left4me"),
    {.key = "log_level",
     .parse = parse_log_level,
     .store = STORE_INT,
     .offset = offsetof(struct config, log_level),
     .def_num = LOG_LEVEL_INFO},
    {.key = "web", .parse = parse_section, .store = STORE_SECTION, .sub = web_fields},
    {.key = "worker",
     .parse = parse_section,
     .store = STORE_SECTION,
     .sub = worker_fields,
     .check = worker_check},
    {.key = "fetcher", .parse = parse_section, .store = STORE_SECTION, .sub = fetcher_fields},
    {.key = "sandbox",
     .parse = parse_section,
     .store = STORE_SECTION,
     .sub = sandbox_fields,
     .check = sandbox_check},
    {.key = "quotas", .parse = parse_section, .store = STORE_SECTION, .sub = quota_fields},
    {.key = "backup", .parse = parse_section, .store = STORE_SECTION, .sub = backup_fields},
    {.key = "status", .parse = parse_section, .store = STORE_SECTION, .sub = status_fields},
    {.key = "schedules", .parse = parse_section, .store = STORE_SECTION, .sub = schedules_fields},
    {.key = "updates", .parse = parse_section, .store = STORE_SECTION, .sub = updates_fields},
    {NULL},
};

/* Offsets here are from struct config_source. */
static const struct field source_fields[] = {
    {.key = "name", .parse = parse_source_name, .offset = offsetof(struct config_source, name)},
    {.key = "kind", .parse = parse_source_kind, .offset = offsetof(struct config_source, kind)},
    {.key = "url", .parse = parse_source_url, .offset = offsetof(struct config_source, url)},
    {.key = "urls", .parse = parse_source_urls, .offset = 0},
    {.key = "allow_private",
     .parse = parse_bool,
     .offset = offsetof(struct config_source, allow_private)},
    {NULL},
};

static const struct field *field_find(const struct field *fields, const struct ynode *key)
{
	const struct field *f;

	for (f = fields; f->key; f++)
		if (strlen(f->key) == key->len && memcmp(f->key, key->text, key->len) == 0)
			return f;
	return NULL;
}

/* The value node given for key in a mapping walked with fields, or NULL. */
static const struct ynode *seen_node(const struct field *fields, const struct ynode *const *seen,
				     const char *key)
{
	const struct field *f;

	for (f = fields; f->key; f++)
		if (strcmp(f->key, key) == 0)
			return seen[f - fields];
	assert(!"key not in schema");
	return NULL;
}

/* Read mapping map into base by the schema fields; seen[i] is set to the
 * value node of fields[i] (caller zeroes it, FIELDS_MAX entries).  A null
 * scalar reads as an empty mapping. */
static int walk_map(struct parse_ctx *ctx, const struct ynode *map, const struct field *fields,
		    void *base, const struct ynode **seen)
{
	size_t i;

	if (is_null(map))
		return 0;
	if (map->type != YNODE_MAPPING)
		return fail(ctx, map->mark, "expected a mapping");
	for (i = 0; i + 1 < map->n_kids; i += 2) {
		const struct ynode *key = map->kids[i], *val = map->kids[i + 1];
		const struct field *f;
		size_t saved;

		if (check_plain_node(ctx, key))
			return -1;
		if (key->type != YNODE_SCALAR || is_null(key))
			return fail(ctx, key->mark, "expected a string key");
		f = field_find(fields, key);
		saved = path_push_key(ctx, key->text, key->len);
		if (!f)
			return fail(ctx, key->mark, "unknown key");
		assert(f - fields < FIELDS_MAX);
		if (seen[f - fields])
			return fail(ctx, key->mark, "duplicate key");
		seen[f - fields] = val;
		if (check_plain_node(ctx, val) || f->parse(ctx, f, val, (char *)base + f->offset))
			return -1;
		path_pop(ctx, saved);
	}
	return 0;
}

static int worker_check(struct parse_ctx *ctx, const struct field *fields,
			const struct ynode *const *seen, void *base)
{
	const struct config *cfg = base;
	const struct ynode *stale = seen_node(fields, seen, "stale_after");
	const struct ynode *beat = seen_node(fields, seen, "heartbeat_interval");

	if (cfg->worker.stale_after > cfg->worker.heartbeat_interval)
		return 0;
	/* Defaults satisfy this, so one of the two was given. */
	if (stale) {
		path_push_key(ctx, "stale_after", strlen("stale_after"));
		return fail(ctx, stale->mark, "must be greater than heartbeat_interval");
	}
	assert(beat);
	path_push_key(ctx, "heartbeat_interval", strlen("heartbeat_interval"));
	return fail(ctx, beat->mark, "must be less than stale_after");
}

/* One file may not be larger than the whole output. */
static int sandbox_check(struct parse_ctx *ctx, const struct field *fields,
			 const struct ynode *const *seen, void *base)
{
	const struct config *cfg = base;
	const struct ynode *file = seen_node(fields, seen, "max_file_size");
	const struct ynode *out = seen_node(fields, seen, "max_output");

	if (cfg->sandbox.max_output >= cfg->sandbox.max_file_size)
		return 0;
	/* Defaults satisfy this, so one of the two was given. */
	if (out) {
		path_push_key(ctx, "max_output", strlen("max_output"));
		return fail(ctx, out->mark, "must be at least sandbox.max_file_size");
	}
	assert(file);
	path_push_key(ctx, "max_file_size", strlen("max_file_size"));
	return fail(ctx, file->mark, "must be at most sandbox.max_output");
}

/* url or urls, as the kind requires, once a source's keys are read. */
static int source_check(struct parse_ctx *ctx, const struct ynode *item,
			const struct config_source *src, const struct ynode *const *seen)
{
	const struct ynode *url = seen_node(source_fields, seen, "url");
	const struct ynode *urls = seen_node(source_fields, seen, "urls");
	const char *kind_name = source_kinds[src->kind].name;

	if (!seen_node(source_fields, seen, "name"))
		return fail(ctx, item->mark, "missing required key 'name'");
	if (!seen_node(source_fields, seen, "kind"))
		return fail(ctx, item->mark, "missing required key 'kind'");
	assert(source_kinds[src->kind].value == (int)src->kind);
	if (src->kind == SOURCE_URL_LIST) {
		if (url) {
			path_push_key(ctx, "url", 3);
			return fail(ctx, url->mark, "not allowed for kind %s", kind_name);
		}
		if (!urls)
			return fail(ctx, item->mark, "missing required key 'urls'");
		if (src->n_urls == 0) {
			path_push_key(ctx, "urls", 4);
			return fail(ctx, urls->mark, "must not be empty");
		}
	} else {
		if (urls) {
			path_push_key(ctx, "urls", 4);
			return fail(ctx, urls->mark, "not allowed for kind %s", kind_name);
		}
		if (!url)
			return fail(ctx, item->mark, "missing required key 'url'");
	}
	return 0;
}

static int parse_sources(struct parse_ctx *ctx, const struct field *f, const struct ynode *n,
			 void *dst)
{
	struct config *cfg = ctx->cfg;
	size_t i;

	(void)f;
	(void)dst;
	assert(!cfg->fetcher.sources);
	if (is_null(n))
		return 0;
	if (n->type != YNODE_SEQUENCE)
		return fail(ctx, n->mark, "expected a sequence");
	cfg->fetcher.sources = xcalloc(n->n_kids, sizeof(*cfg->fetcher.sources));
	for (i = 0; i < n->n_kids; i++) {
		const struct ynode *item = n->kids[i];
		const struct ynode *seen[FIELDS_MAX] = {NULL};
		size_t saved = path_push_index(ctx, i);
		struct config_source *src;

		if (check_plain_node(ctx, item))
			return -1;
		if (item->type != YNODE_MAPPING)
			return fail(ctx, item->mark, "expected a mapping");
		/* Counted before it is filled, so config_free sees partial ones. */
		src = &cfg->fetcher.sources[cfg->fetcher.n_sources++];
		if (walk_map(ctx, item, source_fields, src, seen) ||
		    source_check(ctx, item, src, seen))
			return -1;
		path_pop(ctx, saved);
	}
	return 0;
}

/* ---- public API --------------------------------------------------------- */

const char *config_path(const char *arg)
{
	const char *env;

	if (arg)
		return arg;
	env = getenv(CONFIG_ENV);
	if (env && *env)
		return env;
	return CONFIG_DEFAULT_PATH;
}

static void fields_apply_defaults(const struct field *fields, struct config *cfg)
{
	const struct field *f;

	for (f = fields; f->key; f++) {
		void *dst = (char *)cfg + f->offset;

		switch (f->store) {
		case STORE_STR:
			*(char **)dst = xstrdup(f->def_str);
			break;
		case STORE_INT:
			*(int *)dst = (int)f->def_num;
			break;
		case STORE_LLONG:
			*(long long *)dst = f->def_num;
			break;
		case STORE_BOOL:
			*(bool *)dst = f->def_num != 0;
			break;
		case STORE_SECTION:
			fields_apply_defaults(f->sub, cfg);
			break;
		case STORE_NONE:
			break;
		}
	}
}

static void fields_free(const struct field *fields, struct config *cfg)
{
	const struct field *f;

	for (f = fields; f->key; f++) {
		if (f->store == STORE_STR)
			free(*(char **)((char *)cfg + f->offset));
		else if (f->store == STORE_SECTION)
			fields_free(f->sub, cfg);
	}
}

struct config *config_defaults(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	fields_apply_defaults(config_fields, cfg);
	return cfg;
}

void config_free(struct config *cfg)
{
	size_t i, j;

	if (!cfg)
		return;
	fields_free(config_fields, cfg);
	for (i = 0; i < cfg->fetcher.n_sources; i++) {
		struct config_source *src = &cfg->fetcher.sources[i];

		free(src->name);
		free(src->url);
		for (j = 0; j < src->n_urls; j++)
			free(src->urls[j]);
		free(src->urls);
	}
	free(cfg->fetcher.sources);
	free(cfg->web.trusted_proxies);
	free(cfg->path);
	free(cfg);
}

struct config *config_parse(const char *name, const char *text, size_t len, char *err,
			    size_t errlen)
{
	struct parse_ctx ctx = {
	    .name = name, .text = text, .len = len, .err = err, .errlen = errlen};
	const struct ynode *seen[FIELDS_MAX] = {NULL};
	struct ynode *root = NULL;
	struct config *cfg = NULL;
	bool ok = false;

	if (err && errlen)
		err[0] = '\0';
	if (!yaml_parser_initialize(&ctx.parser)) {
		err_set(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	strbuf_init(&ctx.path);
	yaml_parser_set_input_string(&ctx.parser, (const unsigned char *)text, len);
	cfg = config_defaults();
	cfg->path = xstrdup(name);
	ctx.cfg = cfg;
	if (tree_load(&ctx, &root))
		goto out;
	if (root && !is_null(root)) {
		if (check_plain_node(&ctx, root))
			goto out;
		if (root->type != YNODE_MAPPING) {
			fail(&ctx, root->mark, "expected a mapping at the top level");
			goto out;
		}
		if (walk_map(&ctx, root, config_fields, cfg, seen))
			goto out;
	}
	ok = true;
out:
	if (!ok) {
		config_free(cfg);
		cfg = NULL;
	}
	ynode_free(root);
	strbuf_fini(&ctx.path);
	yaml_parser_delete(&ctx.parser);
	return cfg;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
	struct config *cfg;
	int fd;

	if (err && errlen)
		err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_set(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	cfg = config_load_fd(fd, path, err, errlen);
	close(fd);
	return cfg;
}

struct config *config_load_fd(int fd, const char *name, char *err, size_t errlen)
{
	struct config *cfg = NULL;
	struct strbuf sb;
	char chunk[8192];
	ssize_t n;

	if (err && errlen)
		err[0] = '\0';
	strbuf_init(&sb);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_set(err, errlen, "%s: cannot read: %s", name, strerror(errno));
			goto out;
		}
		if (sb.len + (size_t)n > CONFIG_MAX_BYTES) {
			err_set(err, errlen, "%s: larger than %d bytes", name, CONFIG_MAX_BYTES);
			goto out;
		}
		strbuf_append(&sb, chunk, (size_t)n);
	}
	cfg = config_parse(name, sb.buf, sb.len, err, errlen);
out:
	strbuf_fini(&sb);
	return cfg;
}

char *config_db_path(const struct config *cfg)
{
	return xasprintf("%s/left4me.db", cfg->state_dir);
}
