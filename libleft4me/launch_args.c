/* Launch settings: the one allowlist of srcds options and the validators
 * of the start map, max players and tickrate; see launch_args.h.  What is
 * left out on purpose, and why, is in docs/SECURITY.md ("Launch
 * settings").  Table-tested in tests/unit/check_launch_args.c. */
#include "launch_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "strbuf.h"
#include "xalloc.h"

static bool int_in(const char *v, long long min, long long max)
{
	long long n;

	return parse_int(v, min, max, &n) == 0;
}

static bool v_bool(const char *v)
{
	return strcmp(v, "0") == 0 || strcmp(v, "1") == 0;
}

static bool v_pure(const char *v)
{
	return int_in(v, -1, 2);
}

/* Valve's regions: 0..7, 255 the world. */
static bool v_region(const char *v)
{
	return int_in(v, 0, 7) || strcmp(v, "255") == 0;
}

static bool v_fps(const char *v)
{
	return int_in(v, 0, 1000);
}

static bool v_visible(const char *v)
{
	return int_in(v, -1, LAUNCH_MAX_PLAYERS_MAX);
}

static bool v_onoff(const char *v)
{
	return strcmp(v, "on") == 0 || strcmp(v, "off") == 0;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* "mutation12" or "community3": prefix and 1..99 */
static bool numbered(const char *v, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(v, prefix, n) == 0 && int_in(v + n, 1, 99);
}

static bool v_gamemode(const char *v)
{
	static const char *const modes[] = {"coop",	"realism",   "versus",	     "teamversus",
					    "survival", "scavenge",  "teamscavenge", "holdout",
					    "dash",	"shootzones"};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(v, modes[i]) == 0)
			return true;
	return numbered(v, "mutation") || numbered(v, "community");
}

/* sv_gametypes: words [a-z0-9]{1,32} separated by single commas. */
static bool v_gametypes(const char *v)
{
	size_t len = strlen(v), word = 0;

	if (len == 0 || len > 256)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == ',') {
			if (word == 0)
				return false;
			word = 0;
		} else if (!word_char(v[i]) || ++word > 32) {
			return false;
		}
	}
	return word > 0;
}

/* A cfg/ file name: [A-Za-z0-9_]{1,64} with an optional ".cfg", no path. */
static bool v_cfg(const char *v)
{
	size_t len = strlen(v);

	if (len > 4 && strcmp(v + len - 4, ".cfg") == 0)
		len -= 4;
	if (len < 1 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

/* The allowlist.  Nothing here may load code from outside the server's own
 * tree, name a path, or change the address, ports, game dir, restart or
 * update behaviour the launcher sets (docs/SECURITY.md). */
const struct launch_opt launch_args_table[] = {
    {"-nohltv", NULL, NULL, "no SourceTV relay"},
    {"-nomaster", NULL, NULL, "do not register with Valve's master server"},
    {"-nowatchdog", NULL, NULL, "no engine hang watchdog"},
    {"-insecure", NULL, NULL, "VAC off on this server"},
    {"-condebug", NULL, NULL, "also log the console to left4dead2/console.log"},
    {"+sv_pure", "-1..2", v_pure, "file consistency: -1 off .. 2 strict"},
    {"+sv_consistency", "0 or 1", v_bool, "check clients' files"},
    {"+sv_lan", "0 or 1", v_bool, "LAN only"},
    {"+sv_region", "0..7 or 255", v_region, "the server browser's region"},
    {"+mp_gamemode",
     "coop, realism, versus, teamversus, survival, scavenge, teamscavenge, "
     "holdout, dash, shootzones, mutationN or communityN",
     v_gamemode, "the game mode"},
    {"+sv_gametypes", "words of [a-z0-9] separated by commas", v_gametypes,
     "modes the lobby may start"},
    {"+sv_hibernate_when_empty", "0 or 1", v_bool, "sleep while nobody plays"},
    {"+sv_visiblemaxplayers", "-1..32", v_visible, "slots the server browser shows"},
    {"+fps_max", "0..1000", v_fps, "server frame rate cap (with tickrate)"},
    {"+log", "on or off", v_onoff, "write left4dead2/logs/"},
    {"+exec", "a cfg name: [A-Za-z0-9_]{1,64}, optionally .cfg", v_cfg,
     "run a cfg/ file of the server's own tree at start"},
};
const size_t launch_args_table_len = sizeof(launch_args_table) / sizeof(launch_args_table[0]);

/* Options people will try that have a field of their own. */
static const struct {
	const char *name, *use;
} own_field[] = {
    {"+map", "start_map"},     {"-maxplayers", "max_players"}, {"+maxplayers", "max_players"},
    {"-tickrate", "tickrate"}, {"+tickrate", "tickrate"},
};

bool launch_map_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len < 1 || len > LAUNCH_MAP_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

bool launch_max_players_ok(long long n)
{
	return n >= LAUNCH_MAX_PLAYERS_MIN && n <= LAUNCH_MAX_PLAYERS_MAX;
}

bool launch_tickrate_ok(long long n)
{
	return n >= LAUNCH_TICKRATE_MIN && n <= LAUNCH_TICKRATE_MAX;
}

const struct launch_opt *launch_opt_find(const char *name)
{
	for (size_t i = 0; i < launch_args_table_len; i++)
		if (strcmp(launch_args_table[i].name, name) == 0)
			return &launch_args_table[i];
	return NULL;
}

static void refuse_unknown(const char *tok, char *err, size_t errlen)
{
	struct strbuf sb;

	for (size_t i = 0; i < sizeof(own_field) / sizeof(own_field[0]); i++) {
		if (strcmp(tok, own_field[i].name) == 0) {
			snprintf(err, errlen, "launch_args: %s is not allowed here: set %s instead",
				 tok, own_field[i].use);
			return;
		}
	}
	strbuf_init(&sb);
	for (size_t i = 0; i < launch_args_table_len; i++)
		strbuf_printf(&sb, "%s%s", i ? " " : "", launch_args_table[i].name);
	/* a cut list is still a list: the message starts with the option */
	snprintf(err, errlen, "launch_args: %.64s is not an allowed option (allowed: %s)", tok,
		 sb.buf);
	strbuf_fini(&sb);
}

/* Split text at whitespace into toks (at most LAUNCH_ARGS_TOKENS, each of
 * printable ASCII); the count, or -1 with err. */
static int tokenize(const char *text, char **toks, char *err, size_t errlen)
{
	size_t n = 0, i = 0, len = strlen(text);

	if (len > LAUNCH_ARGS_MAX) {
		snprintf(err, errlen, "launch_args: longer than %d bytes", LAUNCH_ARGS_MAX);
		return -1;
	}
	while (i < len) {
		size_t start;

		if (strchr(" \t\r\n", text[i])) {
			i++;
			continue;
		}
		for (start = i; i < len && !strchr(" \t\r\n", text[i]); i++) {
			unsigned char c = (unsigned char)text[i];
			if (c < 0x21 || c > 0x7e) {
				snprintf(err, errlen, "launch_args: character 0x%02x not allowed",
					 c);
				goto fail;
			}
		}
		if (n == LAUNCH_ARGS_TOKENS) {
			snprintf(err, errlen, "launch_args: more than %d words",
				 LAUNCH_ARGS_TOKENS);
			goto fail;
		}
		toks[n++] = xstrndup(text + start, i - start);
	}
	return (int)n;
fail:
	while (n > 0)
		free(toks[--n]);
	return -1;
}

/* Check toks[0..n) against the table (each option once, its value). */
static int check_tokens(char **toks, size_t n, char *err, size_t errlen)
{
	const struct launch_opt *seen[LAUNCH_ARGS_TOKENS];
	size_t n_seen = 0;

	for (size_t i = 0; i < n; i++) {
		const struct launch_opt *o;

		if (toks[i][0] != '-' && toks[i][0] != '+') {
			snprintf(err, errlen,
				 "launch_args: '%.64s' is not an option (options start with - or "
				 "+)",
				 toks[i]);
			return -1;
		}
		if (!(o = launch_opt_find(toks[i]))) {
			refuse_unknown(toks[i], err, errlen);
			return -1;
		}
		for (size_t j = 0; j < n_seen; j++) {
			if (seen[j] == o) {
				snprintf(err, errlen, "launch_args: %s is given twice", o->name);
				return -1;
			}
		}
		seen[n_seen++] = o;
		if (!o->value)
			continue;
		if (i + 1 >= n || toks[i + 1][0] == '+' ||
		    (toks[i + 1][0] == '-' && launch_opt_find(toks[i + 1]))) {
			snprintf(err, errlen, "launch_args: %s needs a value (%s)", o->name,
				 o->value);
			return -1;
		}
		if (!o->valid(toks[++i])) {
			snprintf(err, errlen, "launch_args: %s: '%.64s' is not %s", o->name,
				 toks[i], o->value);
			return -1;
		}
	}
	return 0;
}

int launch_args_split(const char *text, char ***argv, size_t *argc, char *err, size_t errlen)
{
	char *toks[LAUNCH_ARGS_TOKENS];
	int n = tokenize(text ? text : "", toks, err, errlen);

	*argv = NULL;
	*argc = 0;
	if (n < 0)
		return -1;
	if (check_tokens(toks, (size_t)n, err, errlen) < 0) {
		while (n > 0)
			free(toks[--n]);
		return -1;
	}
	*argv = xcalloc((size_t)n + 1, sizeof(char *));
	memcpy(*argv, toks, (size_t)n * sizeof(char *));
	*argc = (size_t)n;
	return 0;
}

void launch_args_free(char **argv)
{
	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int launch_args_normalize(const char *text, char **canon, char *err, size_t errlen)
{
	struct strbuf sb;
	char **argv;
	size_t argc;

	*canon = NULL;
	if (launch_args_split(text, &argv, &argc, err, errlen) < 0)
		return -1;
	strbuf_init(&sb);
	for (size_t i = 0; i < argc; i++)
		strbuf_printf(&sb, "%s%s", i ? " " : "", argv[i]);
	launch_args_free(argv);
	if (sb.len > LAUNCH_ARGS_MAX) {
		snprintf(err, errlen, "launch_args: longer than %d bytes", LAUNCH_ARGS_MAX);
		strbuf_fini(&sb);
		return -1;
	}
	*canon = strbuf_detach(&sb);
	strbuf_fini(&sb);
	return 0;
}

bool launch_settings_ok(const struct launch_settings *ls)
{
	char err[512], *canon = NULL;
	bool ok;

	if ((ls->start_map && !launch_map_ok(ls->start_map)) ||
	    (ls->max_players && !launch_max_players_ok(ls->max_players)) ||
	    (ls->tickrate && !launch_tickrate_ok(ls->tickrate)))
		return false;
	if (!ls->launch_args)
		return true;
	ok = launch_args_normalize(ls->launch_args, &canon, err, sizeof(err)) == 0 &&
	     strcmp(canon, ls->launch_args) == 0;
	free(canon);
	return ok;
}

void launch_effective(const struct launch_settings *srv, const struct launch_settings *bp,
		      struct launch_settings *out)
{
	out->start_map = srv->start_map	 ? srv->start_map
			 : bp->start_map ? bp->start_map
					 : LAUNCH_MAP_DEFAULT;
	out->max_players = srv->max_players  ? srv->max_players
			   : bp->max_players ? bp->max_players
					     : LAUNCH_MAX_PLAYERS_DEFAULT;
	out->tickrate = srv->tickrate ? srv->tickrate : bp->tickrate;
	out->launch_args = srv->launch_args  ? srv->launch_args
			   : bp->launch_args ? bp->launch_args
					     : "";
}
