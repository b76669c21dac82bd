/* config: the left4me.yaml schema, its defaults, and the exact one-line
 * "FILE:LINE:COL: KEY: reason" message for every kind of bad input.
 * Run from the top of the tree (the shipped etc/ file is read by path). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "netaddr.h"
#include "strbuf.h"
#include "xalloc.h"

#define SHIPPED "etc/left4me/left4me.yaml"

static struct config *parse(const char *text, char *err, size_t errlen)
{
	return config_parse("t.yaml", text, strlen(text), err, errlen);
}

/* ---- bad input: exact messages ------------------------------------------ */

#define SRC "fetcher:\n  sources:\n"
#define L4D "    - name: l4d\n      kind: json_index\n      url: https://l4d2center.com/i.json\n"

struct bad_case {
	const char *yaml;
	const char *err;
};

static const struct bad_case bad[] = {
    /* keys */
    {"foo: 1\n", "t.yaml:1:1: foo: unknown key"},
    {"web:\n  lisen: x\n", "t.yaml:2:3: web.lisen: unknown key"},
    {"worker:\n  stale: 1\n", "t.yaml:2:3: worker.stale: unknown key"},
    {"\"a\\x01b\": 1\n", "t.yaml:1:1: a\\x01b: unknown key"},
    /* an unknown key is quoted back escaped and cut to 60 bytes */
    {"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: 1\n",
     "t.yaml:1:1: kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...: unknown key"},
    {"state_dir: /a\nstate_dir: /b\n", "t.yaml:2:1: state_dir: duplicate key"},
    {"web:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n",
     "t.yaml:3:3: web.listen: duplicate key"},
    {"web: {}\nweb: {}\n", "t.yaml:2:1: web: duplicate key"},
    {"? [a]\n: b\n", "t.yaml:1:3: expected a string key"},
    {"web:\n  ? {a: b}\n  : c\n", "t.yaml:2:5: web: expected a string key"},
    /* top level and sections */
    {"- a\n- b\n", "t.yaml:1:1: expected a mapping at the top level"},
    {"hello\n", "t.yaml:1:1: expected a mapping at the top level"},
    {"web: 5\n", "t.yaml:1:6: web: expected a mapping"},
    {"worker: [sudo]\n", "t.yaml:1:9: worker: expected a mapping"},
    {"fetcher: \"\"\n", "t.yaml:1:10: fetcher: expected a mapping"},
    /* strings and paths */
    {"state_dir: var/lib\n", "t.yaml:1:12: state_dir: must be an absolute path"},
    {"state_dir:\n  a: b\n", "t.yaml:2:3: state_dir: expected a string"},
    {"state_dir: [/a]\n", "t.yaml:1:12: state_dir: expected a string"},
    {"state_dir:\n", "t.yaml:1:11: state_dir: expected a string"},
    {"state_dir: ~\n", "t.yaml:1:12: state_dir: expected a string"},
    {"state_dir: \"/a\\0b\"\n", "t.yaml:1:12: state_dir: contains a NUL byte"},
    {"web:\n  secret_file: secret\n", "t.yaml:2:16: web.secret_file: must be an absolute path"},
    {"web:\n  secret_file: ''\n", "t.yaml:2:16: web.secret_file: must be an absolute path"},
    {"worker:\n  helper_dir: ./helpers\n",
     "t.yaml:2:15: worker.helper_dir: must be an absolute path"},
    {"worker:\n  steamcmd: [a, b]\n", "t.yaml:2:13: worker.steamcmd: expected a string"},
    {"log_level: verbose\n",
     "t.yaml:1:12: log_level: expected err, warning, notice, info or debug"},
    {"log_level: 6\n", "t.yaml:1:12: log_level: expected err, warning, notice, info or debug"},
    /* web.listen */
    {"web:\n  listen: 127.0.0.1\n", "t.yaml:2:11: web.listen: expected HOST:PORT"},
    {"web:\n  listen: example.com:80\n",
     "t.yaml:2:11: web.listen: expected HOST:PORT with HOST an IPv4 address, localhost or "
     "[IPv6]"},
    {"web:\n  listen: 256.1.1.1:80\n",
     "t.yaml:2:11: web.listen: expected HOST:PORT with HOST an IPv4 address, localhost or "
     "[IPv6]"},
    {"web:\n  listen: ::1:8080\n",
     "t.yaml:2:11: web.listen: expected HOST:PORT with HOST an IPv4 address, localhost or "
     "[IPv6]"},
    {"web:\n  listen: \"[fe80::1%eth0]:80\"\n",
     "t.yaml:2:11: web.listen: expected HOST:PORT with HOST an IPv4 address, localhost or "
     "[IPv6]"},
    {"web:\n  listen: :8080\n",
     "t.yaml:2:11: web.listen: expected HOST:PORT with HOST an IPv4 address, localhost or "
     "[IPv6]"},
    {"web:\n  listen: \"[::1]8080\"\n", "t.yaml:2:11: web.listen: expected HOST:PORT"},
    {"web:\n  listen: 127.0.0.1:65536\n",
     "t.yaml:2:11: web.listen: expected a port between 0 and 65535"},
    {"web:\n  listen: \"[::1]:http\"\n",
     "t.yaml:2:11: web.listen: expected a port between 0 and 65535"},
    {"web:\n  listen: localhost:080\n",
     "t.yaml:2:11: web.listen: expected a port between 0 and 65535"},
    {"web:\n  game_host: \"localhost:27015\"\n",
     "t.yaml:2:14: web.game_host: expected a host name, an IPv4 address or an IPv6 address (at "
     "most 253 bytes, no port)"},
    {"web:\n  game_host: \"fe80::1%eth0\"\n",
     "t.yaml:2:14: web.game_host: expected a host name, an IPv4 address or an IPv6 address (at "
     "most 253 bytes, no port)"},
    /* URLs */
    {"web:\n  public_url: ftp://example.com/\n",
     "t.yaml:2:15: web.public_url: expected an http:// or https:// URL"},
    {"web:\n  public_url: \"http://exa mple/\"\n",
     "t.yaml:2:15: web.public_url: expected an http:// or https:// URL"},
    {"web:\n  public_url: https:///x\n",
     "t.yaml:2:15: web.public_url: expected an http:// or https:// URL"},
    {"web:\n  public_url: http://\n",
     "t.yaml:2:15: web.public_url: expected an http:// or https:// URL"},
    /* booleans */
    {"web:\n  secure_cookies: maybe\n", "t.yaml:2:19: web.secure_cookies: expected true or false"},
    {"web:\n  secure_cookies: \"true\"\n",
     "t.yaml:2:19: web.secure_cookies: expected true or false"},
    {"web:\n  secure_cookies: True\n", "t.yaml:2:19: web.secure_cookies: expected true or false"},
    {"web:\n  secure_cookies:\n", "t.yaml:2:18: web.secure_cookies: expected true or false"},
    {"worker:\n  sudo: 1\n", "t.yaml:2:9: worker.sudo: expected true or false"},
    /* integers */
    {"web:\n  max_connections: 0\n",
     "t.yaml:2:20: web.max_connections: expected an integer between 1 and 1000000"},
    {"web:\n  max_connections: abc\n",
     "t.yaml:2:20: web.max_connections: expected an integer between 1 and 1000000"},
    {"web:\n  max_connections: 1.5\n",
     "t.yaml:2:20: web.max_connections: expected an integer between 1 and 1000000"},
    {"web:\n  max_connections: -1\n",
     "t.yaml:2:20: web.max_connections: expected an integer between 1 and 1000000"},
    {"web:\n  max_connections: \"16\"\n",
     "t.yaml:2:20: web.max_connections: expected an integer between 1 and 1000000"},
    {"web:\n  max_connections: 0x10\n",
     "t.yaml:2:20: web.max_connections: expected an integer between 1 and 1000000"},
    {"web:\n  max_connections: 016\n",
     "t.yaml:2:20: web.max_connections: expected an integer between 1 and 1000000"},
    {"web:\n  max_connections: 99999999999999999999\n",
     "t.yaml:2:20: web.max_connections: expected an integer between 1 and 1000000"},
    {"web:\n  max_connections: [1]\n",
     "t.yaml:2:20: web.max_connections: expected an integer between 1 and 1000000"},
    {"web:\n  max_body: 1073741825\n",
     "t.yaml:2:13: web.max_body: expected an integer between 1 and 1073741824"},
    {"web:\n  max_upload: 1099511627777\n",
     "t.yaml:2:15: web.max_upload: expected an integer between 1 and 1099511627776"},
    {"web:\n  max_edit: 0\n",
     "t.yaml:2:13: web.max_edit: expected an integer between 1 and 1073741824"},
    {"web:\n  max_edit: 1073741825\n",
     "t.yaml:2:13: web.max_edit: expected an integer between 1 and 1073741824"},
    {"web:\n  session_ttl: 0\n",
     "t.yaml:2:16: web.session_ttl: expected an integer between 1 and 31622400"},
    {"worker:\n  helper_timeout: 0\n",
     "t.yaml:2:19: worker.helper_timeout: expected an integer between 1 and 86400"},
    {"worker:\n  stale_after: 5\n",
     "t.yaml:2:16: worker.stale_after: must be greater than heartbeat_interval"},
    {"worker:\n  heartbeat_interval: 30\n",
     "t.yaml:2:23: worker.heartbeat_interval: must be less than stale_after"},
    {"fetcher:\n  parallel: 0\n",
     "t.yaml:2:13: fetcher.parallel: expected an integer between 1 and 256"},
    {"fetcher:\n  retries: -1\n",
     "t.yaml:2:12: fetcher.retries: expected an integer between 0 and 100"},
    {"fetcher:\n  max_extract_size: 0\n",
     "t.yaml:2:21: fetcher.max_extract_size: expected an integer between 1 and "
     "17592186044416"},
    {"sandbox:\n  max_file_size: 1048575\n",
     "t.yaml:2:18: sandbox.max_file_size: expected an integer between 1048576 and "
     "1099511627776"},
    {"sandbox:\n  max_output: 17592186044417\n",
     "t.yaml:2:15: sandbox.max_output: expected an integer between 1048576 and "
     "17592186044416"},
    {"sandbox:\n  max_output: 1048576\n",
     "t.yaml:2:15: sandbox.max_output: must be at least sandbox.max_file_size"},
    {"sandbox:\n  max_file_size: 34359738368\n",
     "t.yaml:2:18: sandbox.max_file_size: must be at most sandbox.max_output"},
    {"sandbox:\n  max_size: 5\n", "t.yaml:2:3: sandbox.max_size: unknown key"},
    {"sandbox: 5\n", "t.yaml:1:10: sandbox: expected a mapping"},
    {"worker:\n  steamcmd_tries: 0\n",
     "t.yaml:2:19: worker.steamcmd_tries: expected an integer between 1 and 100"},
    {"worker:\n  steamcmd_backoff: 3601\n",
     "t.yaml:2:21: worker.steamcmd_backoff: expected an integer between 0 and 3600"},
    {"worker:\n  max_job_log: 65535\n",
     "t.yaml:2:16: worker.max_job_log: expected an integer between 65536 and 17179869184"},
    {"web:\n  trusted_proxies: 127.0.0.1\n",
     "t.yaml:2:20: web.trusted_proxies: expected a sequence of addresses"},
    {"web:\n  trusted_proxies: [localhost]\n",
     "t.yaml:2:21: web.trusted_proxies[0]: not an IPv4 or IPv6 address"},
    {"web:\n  trusted_proxies:\n    - ::1\n    - 127.0.0.1/8\n",
     "t.yaml:4:7: web.trusted_proxies[1]: address has bits set past its prefix length"},
    {"web:\n  trusted_proxies: [127.0.0.0/33]\n",
     "t.yaml:2:21: web.trusted_proxies[0]: prefix length is not 0..32"},
    {"web:\n  trusted_proxies: ['::/129']\n",
     "t.yaml:2:21: web.trusted_proxies[0]: prefix length is not 0..128"},
    {"web:\n  trusted_proxies: [[127.0.0.1]]\n",
     "t.yaml:2:21: web.trusted_proxies[0]: expected a string"},
    {"web:\n  login_throttle_keys: 15\n",
     "t.yaml:2:24: web.login_throttle_keys: expected an integer between 16 and 10000000"},
    {"web:\n  login_delay: 0\n",
     "t.yaml:2:16: web.login_delay: expected an integer between 1 and 86400"},
    {"web:\n  login_ip_max_failures: 0\n",
     "t.yaml:2:26: web.login_ip_max_failures: expected an integer between 1 and 1000000"},
    {"quotas: 5\n", "t.yaml:1:9: quotas: expected a mapping"},
    {"status:\n  poll_interval: 0\n",
     "t.yaml:2:18: status.poll_interval: expected an integer between 1 and 3600"},
    {"status:\n  a2s_timeout: 10001\n",
     "t.yaml:2:16: status.a2s_timeout: expected an integer between 50 and 10000"},
    {"status:\n  history_minutes: 0\n",
     "t.yaml:2:20: status.history_minutes: expected an integer between 1 and 527040"},
    {"schedules:\n  grace_seconds: -1\n",
     "t.yaml:2:18: schedules.grace_seconds: expected an integer between 0 and 86400"},
    {"schedules:\n  max_per_server: 0\n",
     "t.yaml:2:19: schedules.max_per_server: expected an integer between 1 and 10000"},
    {"updates:\n  policy: always\n",
     "t.yaml:2:11: updates.policy: expected manual, when_empty or window"},
    {"updates:\n  window: \"4:00-5:00\"\n",
     "t.yaml:2:11: updates.window: expected HH:MM-HH:MM in local time (got '4:00-5:00')"},
    {"updates:\n  window: \"24:00-01:00\"\n",
     "t.yaml:2:11: updates.window: expected HH:MM-HH:MM in local time (got '24:00-01:00')"},
    {"updates:\n  window: \"04:00-04:00\"\n",
     "t.yaml:2:11: updates.window: the window's start and end are the same"},
    {"status:\n  interval: 5\n", "t.yaml:2:3: status.interval: unknown key"},
    {"quotas:\n  server: 1\n", "t.yaml:2:3: quotas.server: unknown key"},
    {"quotas:\n  servers: -1\n",
     "t.yaml:2:12: quotas.servers: expected an integer between 0 and 1000000"},
    {"quotas:\n  total_bytes: 1.5\n",
     "t.yaml:2:16: quotas.total_bytes: expected an integer between 0 and 1125899906842624"},
    /* fetcher.sources */
    {"fetcher:\n  sources: l4d2center\n", "t.yaml:2:12: fetcher.sources: expected a sequence"},
    {SRC "    - just-a-name\n", "t.yaml:3:7: fetcher.sources[0]: expected a mapping"},
    {SRC "    - kind: json_index\n      url: https://a/\n",
     "t.yaml:3:7: fetcher.sources[0]: missing required key 'name'"},
    {SRC "    - name: a\n      url: https://a/\n",
     "t.yaml:3:7: fetcher.sources[0]: missing required key 'kind'"},
    {SRC "    - name: Maps\n",
     "t.yaml:3:13: fetcher.sources[0].name: invalid source name (expected "
     "[a-z0-9][a-z0-9_-]{0,63})"},
    {SRC "    - name: 5\n      name: 6\n", "t.yaml:4:7: fetcher.sources[0].name: duplicate key"},
    {SRC L4D "    - name: l4d\n", "t.yaml:6:13: fetcher.sources[1].name: duplicate source name"},
    {SRC L4D "    - name: b\n      kind: rss\n",
     "t.yaml:7:13: fetcher.sources[1].kind: expected json_index, url_list or html_index"},
    {SRC "    - name: a\n      kind: json_index\n",
     "t.yaml:3:7: fetcher.sources[0]: missing required key 'url'"},
    {SRC "    - {name: a, kind: html_index}\n",
     "t.yaml:3:7: fetcher.sources[0]: missing required key 'url'"},
    {SRC "    - name: a\n      url: https://a/\n      kind: url_list\n",
     "t.yaml:4:12: fetcher.sources[0].url: not allowed for kind url_list"},
    {SRC "    - name: a\n      kind: url_list\n",
     "t.yaml:3:7: fetcher.sources[0]: missing required key 'urls'"},
    {SRC "    - name: a\n      kind: url_list\n      urls: []\n",
     "t.yaml:5:13: fetcher.sources[0].urls: must not be empty"},
    {SRC "    - name: a\n      kind: html_index\n      url: https://a/\n      urls: [https://b/]\n",
     "t.yaml:6:13: fetcher.sources[0].urls: not allowed for kind html_index"},
    {SRC "    - name: a\n      kind: json_index\n      url: file:///etc/passwd\n",
     "t.yaml:5:12: fetcher.sources[0].url: expected an http:// or https:// URL"},
    {SRC "    - name: a\n      kind: url_list\n      urls: [https://a/x.zip, ftp://b/]\n",
     "t.yaml:5:31: fetcher.sources[0].urls[1]: expected an http:// or https:// URL"},
    {SRC "    - name: a\n      kind: url_list\n      urls:\n        - {u: https://a/}\n",
     "t.yaml:6:11: fetcher.sources[0].urls[0]: expected a string"},
    {SRC "    - name: a\n      kind: url_list\n      urls: https://a/x.zip\n",
     "t.yaml:5:13: fetcher.sources[0].urls: expected a sequence"},
    {SRC L4D "    - name: b\n      mirror: x\n",
     "t.yaml:7:7: fetcher.sources[1].mirror: unknown key"},
    /* YAML features and syntax */
    {"state_dir: &d /a\nweb:\n  secret_file: *d\n",
     "t.yaml:1:12: state_dir: anchors, aliases and tags are not supported"},
    {"web:\n  secret_file: *x\n",
     "t.yaml:2:16: web.secret_file: anchors, aliases and tags are not supported"},
    {"state_dir: !!str /a\n",
     "t.yaml:1:12: state_dir: anchors, aliases and tags are not supported"},
    {"&top\nstate_dir: /a\n", "t.yaml:1:1: anchors, aliases and tags are not supported"},
    {"state_dir: /a\n---\nstate_dir: /b\n", "t.yaml:2:1: expected a single YAML document"},
    {"web: [\n", "t.yaml:2:1: did not find expected node content"},
    {"a: b: c\n", "t.yaml:1:5: mapping values are not allowed in this context"},
    {"web:\n\tlisten: x\n", "t.yaml:2:1: found character that cannot start any token"},
    {"state_dir: '/a\n", "t.yaml:2:1: found unexpected end of stream"},
    {"state_dir: /a\xff\n", "t.yaml:1:14: invalid leading UTF-8 octet"},
    {"web: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
     "t.yaml:1:37: nested deeper than 32 levels"},
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad[_i];
	char err[512] = "";
	struct config *cfg = parse(c->yaml, err, sizeof(err));

	ck_assert_msg(cfg == NULL, "case %d parsed: %s", _i, c->yaml);
	ck_assert_str_eq(err, c->err);
}
END_TEST

/* ---- good input: one value each ----------------------------------------- */

enum want_type {
	WANT_STR,
	WANT_INT,
	WANT_LLONG,
	WANT_BOOL,
	WANT_NSOURCES,
};

struct good_case {
	const char *yaml;
	enum want_type type;
	size_t offset;
	long long num;
	const char *str;
};

#define G_STR(y, m, s)                                                                             \
	{                                                                                          \
		y, WANT_STR, offsetof(struct config, m), 0, s                                      \
	}
#define G_INT(y, m, n)                                                                             \
	{                                                                                          \
		y, WANT_INT, offsetof(struct config, m), n, NULL                                   \
	}
#define G_LLONG(y, m, n)                                                                           \
	{                                                                                          \
		y, WANT_LLONG, offsetof(struct config, m), n, NULL                                 \
	}
#define G_BOOL(y, m, n)                                                                            \
	{                                                                                          \
		y, WANT_BOOL, offsetof(struct config, m), n, NULL                                  \
	}
#define G_NSOURCES(y, n)                                                                           \
	{                                                                                          \
		y, WANT_NSOURCES, 0, n, NULL                                                       \
	}

static const struct good_case good[] = {
    G_STR("", state_dir, "/var/lib/left4me"),
    G_STR("# only a comment\n", state_dir, "/var/lib/left4me"),
    G_STR("---\n", web.listen, "127.0.0.1:8080"),
    G_STR("~\n", web.listen, "127.0.0.1:8080"),
    G_STR("web:\n", web.listen, "127.0.0.1:8080"),
    G_STR("web: {}\n", web.listen, "127.0.0.1:8080"),
    G_NSOURCES("fetcher:\n  sources: []\n", 0),
    G_NSOURCES("fetcher:\n  sources:\n", 0),
    G_STR("state_dir: /srv/l4m\n", state_dir, "/srv/l4m"),
    G_STR("state_dir: \"/a b\"\n", state_dir, "/a b"),
    G_STR("state_dir: /a\n...\n", state_dir, "/a"),
    G_INT("log_level: err\n", log_level, LOG_LEVEL_ERR),
    G_INT("log_level: warning\n", log_level, LOG_LEVEL_WARNING),
    G_INT("log_level: notice\n", log_level, LOG_LEVEL_NOTICE),
    G_INT("log_level: 'info'\n", log_level, LOG_LEVEL_INFO),
    G_INT("log_level: debug\n", log_level, LOG_LEVEL_DEBUG),
    G_STR("web:\n  listen: \"[::1]:9000\"\n", web.listen, "[::1]:9000"),
    G_STR("web:\n  listen: localhost:1\n", web.listen, "localhost:1"),
    G_STR("web:\n  listen: 0.0.0.0:65535\n", web.listen, "0.0.0.0:65535"),
    G_STR("web: {listen: '127.0.0.1:0'}\n", web.listen, "127.0.0.1:0"),
    G_STR("web:\n  public_url: 'https://l4d.example.org/left4me/'\n", web.public_url,
	  "https://l4d.example.org/left4me/"),
    G_STR("web:\n  game_host: \"::1\"\n", web.game_host, "::1"),
    G_STR("web:\n  game_host: play.localhost\n", web.game_host, "play.localhost"),
    G_STR("web:\n  game_host: ''\n", web.game_host, ""),
    G_BOOL("web:\n  secure_cookies: false\n", web.secure_cookies, false),
    G_BOOL("web:\n  secure_cookies: no\n", web.secure_cookies, false),
    G_BOOL("web:\n  secure_cookies: yes\n", web.secure_cookies, true),
    G_BOOL("worker:\n  sudo: false\n", worker.sudo, false),
    G_INT("web:\n  max_connections: 1000000\n", web.max_connections, 1000000),
    G_INT("web:\n  max_connections: 1\n", web.max_connections, 1),
    G_LLONG("web:\n  max_upload: 1099511627776\n", web.max_upload, 1099511627776LL),
    G_LLONG("web:\n  max_edit: 1\n", web.max_edit, 1),
    G_LLONG("fetcher:\n  max_extract_size: 17592186044416\n", fetcher.max_extract_size,
	    17592186044416LL),
    G_INT("fetcher:\n  retries: 0\n", fetcher.retries, 0),
    G_INT("worker:\n  heartbeat_interval: 10\n  stale_after: 11\n", worker.stale_after, 11),
    G_INT("worker: {stale_after: 300, heartbeat_interval: 299}\n", worker.heartbeat_interval, 299),
    G_STR("worker:\n  steamcmd: |-\n    /opt/steamcmd.sh\n", worker.steamcmd, "/opt/steamcmd.sh"),
    G_LLONG("sandbox:\n  max_file_size: 1048576\n", sandbox.max_file_size, 1048576),
    G_LLONG("sandbox:\n  max_output: 1099511627776\n", sandbox.max_output, 1099511627776LL),
    G_LLONG("sandbox: {max_file_size: 2097152, max_output: 2097152}\n", sandbox.max_output,
	    2097152),
    G_LLONG("worker:\n  max_job_log: 65536\n", worker.max_job_log, 65536),
    G_INT("worker:\n  steamcmd_tries: 100\n", worker.steamcmd_tries, 100),
    G_INT("worker:\n  steamcmd_backoff: 0\n", worker.steamcmd_backoff, 0),
    G_INT("quotas:\n  servers: 0\n", quotas.servers, 0),
    G_INT("status:\n  poll_interval: 1\n", status.poll_interval, 1),
    G_INT("status:\n  a2s_timeout: 50\n", status.a2s_timeout, 50),
    G_INT("status: {history_minutes: 527040}\n", status.history_minutes, 527040),
    G_INT("schedules: {grace_seconds: 0}\n", schedules.grace_seconds, 0),
    G_INT("schedules: {max_per_server: 10000}\n", schedules.max_per_server, 10000),
    G_INT("updates: {policy: window}\n", updates.policy, UPDATE_WINDOW),
    G_INT("updates: {policy: when_empty}\n", updates.policy, UPDATE_WHEN_EMPTY),
    G_INT("quotas:\n  queued_jobs: 3\n", quotas.queued_jobs, 3),
    G_LLONG("quotas:\n  overlay_bytes: 0\n", quotas.overlay_bytes, 0),
    G_LLONG("quotas: {total_bytes: 1099511627776}\n", quotas.total_bytes, 1099511627776LL),
};

START_TEST(test_good)
{
	const struct good_case *c = &good[_i];
	char err[512] = "";
	struct config *cfg = parse(c->yaml, err, sizeof(err));
	const char *p;

	ck_assert_msg(cfg != NULL, "case %d: %s", _i, err);
	ck_assert_str_eq(err, "");
	p = (const char *)cfg + c->offset;
	switch (c->type) {
	case WANT_STR:
		ck_assert_str_eq(*(char *const *)p, c->str);
		break;
	case WANT_INT:
		ck_assert_int_eq(*(const int *)p, c->num);
		break;
	case WANT_LLONG:
		ck_assert_int_eq(*(const long long *)p, c->num);
		break;
	case WANT_BOOL:
		ck_assert_int_eq(*(const bool *)p, c->num);
		break;
	case WANT_NSOURCES:
		ck_assert_uint_eq(cfg->fetcher.n_sources, (size_t)c->num);
		break;
	}
	config_free(cfg);
}
END_TEST

/* ---- whole files -------------------------------------------------------- */

static void assert_defaults(const struct config *cfg)
{
	ck_assert_str_eq(cfg->state_dir, "/var/lib/left4me");
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
	ck_assert_str_eq(cfg->web.listen, "127.0.0.1:8080");
	ck_assert_str_eq(cfg->web.public_url, "http://127.0.0.1:8080/");
	ck_assert(cfg->web.secure_cookies);
	ck_assert_str_eq(cfg->web.secret_file, "/etc/left4me/secret");
	ck_assert_int_eq(cfg->web.max_connections, 16384);
	ck_assert_int_eq(cfg->web.per_ip_connections, 256);
	ck_assert_int_eq(cfg->web.connection_timeout, 60);
	ck_assert_int_eq(cfg->web.max_body, 1048576);
	ck_assert_int_eq(cfg->web.max_upload, 536870912);
	ck_assert_int_eq(cfg->web.max_edit, 1048576);
	ck_assert_int_eq(cfg->web.session_ttl, 604800);
	ck_assert_int_eq(cfg->web.login_max_failures, 5);
	ck_assert_int_eq(cfg->web.login_ip_max_failures, 20);
	ck_assert_int_eq(cfg->web.login_delay, 1);
	ck_assert_int_eq(cfg->web.login_max_delay, 300);
	ck_assert_int_eq(cfg->web.login_window, 900);
	ck_assert_int_eq(cfg->web.login_throttle_keys, 16384);
	ck_assert_uint_eq(cfg->web.n_trusted_proxies, 0);
	ck_assert_str_eq(cfg->worker.helper_dir, "/usr/libexec/left4me");
	ck_assert(cfg->worker.sudo);
	ck_assert_str_eq(cfg->worker.steamcmd, "/usr/games/steamcmd");
	ck_assert_int_eq(cfg->worker.heartbeat_interval, 5);
	ck_assert_int_eq(cfg->worker.stale_after, 30);
	ck_assert_int_eq(cfg->worker.helper_timeout, 120);
	ck_assert_int_eq(cfg->worker.build_timeout, 3600);
	ck_assert_int_eq(cfg->worker.install_timeout, 10800);
	ck_assert_int_eq(cfg->worker.steamcmd_tries, 5);
	ck_assert_int_eq(cfg->worker.steamcmd_backoff, 15);
	ck_assert_int_eq(cfg->fetcher.parallel, 4);
	ck_assert_int_eq(cfg->fetcher.max_host_connections, 4);
	ck_assert_int_eq(cfg->fetcher.max_file_size, 4294967296LL);
	ck_assert_int_eq(cfg->fetcher.max_extract_size, 17179869184LL);
	ck_assert_int_eq(cfg->fetcher.max_entries, 10000);
	ck_assert_int_eq(cfg->fetcher.low_speed_time, 30);
	ck_assert_int_eq(cfg->fetcher.low_speed_limit, 1024);
	ck_assert_int_eq(cfg->fetcher.retries, 3);
	ck_assert_int_eq(cfg->fetcher.refresh_timeout, 7200);
	ck_assert_int_eq(cfg->sandbox.max_file_size, 4294967296LL);
	ck_assert_int_eq(cfg->sandbox.max_output, 17179869184LL);
	ck_assert_int_eq(cfg->worker.max_job_log, 16777216);
	ck_assert_int_eq(cfg->quotas.servers, 10);
	ck_assert_int_eq(cfg->status.poll_interval, 5);
	ck_assert_int_eq(cfg->status.a2s_timeout, 1000);
	ck_assert_int_eq(cfg->schedules.grace_seconds, 300);
	ck_assert_int_eq(cfg->schedules.max_per_server, 20);
	ck_assert_int_eq(cfg->updates.policy, UPDATE_MANUAL);
	ck_assert_str_eq(cfg->updates.window, "04:00-05:00");
	ck_assert_int_eq(cfg->status.history_minutes, 1440);
	ck_assert_int_eq(cfg->quotas.overlays, 50);
	ck_assert_int_eq(cfg->quotas.blueprints, 50);
	ck_assert_int_eq(cfg->quotas.queued_jobs, 20);
	ck_assert_int_eq(cfg->quotas.overlay_bytes, 2147483648LL);
	ck_assert_int_eq(cfg->quotas.total_bytes, 10737418240LL);
}

START_TEST(test_defaults)
{
	struct config *cfg = config_defaults();

	assert_defaults(cfg);
	ck_assert_ptr_null(cfg->path);
	ck_assert_uint_eq(cfg->fetcher.n_sources, 0);
	ck_assert_ptr_null(cfg->fetcher.sources);
	config_free(cfg);
}
END_TEST

START_TEST(test_empty_is_defaults)
{
	char err[256];
	struct config *cfg = parse("", err, sizeof(err));

	ck_assert_ptr_nonnull(cfg);
	assert_defaults(cfg);
	ck_assert_str_eq(cfg->path, "t.yaml");
	ck_assert_uint_eq(cfg->fetcher.n_sources, 0);
	config_free(cfg);
}
END_TEST

static const char full_yaml[] =
    "state_dir: /srv/left4me\n"
    "log_level: debug\n"
    "web:\n"
    "  listen: \"[::]:8443\"\n"
    "  public_url: https://l4d.example.org/\n"
    "  secure_cookies: false\n"
    "  secret_file: /run/secrets/l4m\n"
    "  max_connections: 100\n"
    "  per_ip_connections: 10\n"
    "  connection_timeout: 15\n"
    "  max_body: 65536\n"
    "  max_upload: 2147483648\n"
    "  session_ttl: 3600\n"
    "  login_max_failures: 3\n"
    "  login_window: 60\n"
    "worker:\n"
    "  helper_dir: /opt/l4m/helpers\n"
    "  sudo: no\n"
    "  steamcmd: /opt/steamcmd/steamcmd.sh\n"
    "  heartbeat_interval: 2\n"
    "  stale_after: 9\n"
    "  helper_timeout: 30\n"
    "  build_timeout: 600\n"
    "  install_timeout: 7200\n"
    "  steamcmd_tries: 2\n"
    "  steamcmd_backoff: 0\n"
    "sandbox:\n"
    "  max_file_size: 3000000\n"
    "  max_output: 5000000\n"
    "fetcher:\n"
    "  parallel: 8\n"
    "  max_host_connections: 2\n"
    "  max_file_size: 1000000\n"
    "  max_extract_size: 2000000\n"
    "  max_entries: 50\n"
    "  low_speed_time: 10\n"
    "  low_speed_limit: 100\n"
    "  retries: 5\n"
    "  refresh_timeout: 60\n"
    "  sources:\n"
    "    - name: one\n"
    "      kind: json_index\n"
    "      url: https://a.example/index.json\n"
    "    - kind: url_list\n"
    "      name: two_2\n"
    "      urls:\n"
    "        - https://b.example/x.zip\n"
    "        - 'http://b.example/y%20z.7z'\n"
    "    - {name: three, kind: html_index, url: 'http://c.example/maps/'}\n";

START_TEST(test_full)
{
	char err[256] = "";
	struct config *cfg = parse(full_yaml, err, sizeof(err));
	const struct config_source *s;

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->state_dir, "/srv/left4me");
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_DEBUG);
	ck_assert_str_eq(cfg->web.listen, "[::]:8443");
	ck_assert_str_eq(cfg->web.public_url, "https://l4d.example.org/");
	ck_assert(!cfg->web.secure_cookies);
	ck_assert_str_eq(cfg->web.secret_file, "/run/secrets/l4m");
	ck_assert_int_eq(cfg->web.max_connections, 100);
	ck_assert_int_eq(cfg->web.per_ip_connections, 10);
	ck_assert_int_eq(cfg->web.connection_timeout, 15);
	ck_assert_int_eq(cfg->web.max_body, 65536);
	ck_assert_int_eq(cfg->web.max_upload, 2147483648LL);
	ck_assert_int_eq(cfg->web.session_ttl, 3600);
	ck_assert_int_eq(cfg->web.login_max_failures, 3);
	ck_assert_int_eq(cfg->web.login_window, 60);
	ck_assert_str_eq(cfg->worker.helper_dir, "/opt/l4m/helpers");
	ck_assert(!cfg->worker.sudo);
	ck_assert_str_eq(cfg->worker.steamcmd, "/opt/steamcmd/steamcmd.sh");
	ck_assert_int_eq(cfg->worker.heartbeat_interval, 2);
	ck_assert_int_eq(cfg->worker.stale_after, 9);
	ck_assert_int_eq(cfg->worker.helper_timeout, 30);
	ck_assert_int_eq(cfg->worker.build_timeout, 600);
	ck_assert_int_eq(cfg->worker.install_timeout, 7200);
	ck_assert_int_eq(cfg->worker.steamcmd_tries, 2);
	ck_assert_int_eq(cfg->worker.steamcmd_backoff, 0);
	ck_assert_int_eq(cfg->fetcher.parallel, 8);
	ck_assert_int_eq(cfg->fetcher.max_host_connections, 2);
	ck_assert_int_eq(cfg->fetcher.max_file_size, 1000000);
	ck_assert_int_eq(cfg->fetcher.max_extract_size, 2000000);
	ck_assert_int_eq(cfg->fetcher.max_entries, 50);
	ck_assert_int_eq(cfg->fetcher.low_speed_time, 10);
	ck_assert_int_eq(cfg->fetcher.low_speed_limit, 100);
	ck_assert_int_eq(cfg->fetcher.retries, 5);
	ck_assert_int_eq(cfg->fetcher.refresh_timeout, 60);
	ck_assert_int_eq(cfg->sandbox.max_file_size, 3000000);
	ck_assert_int_eq(cfg->sandbox.max_output, 5000000);

	ck_assert_uint_eq(cfg->fetcher.n_sources, 3);
	s = &cfg->fetcher.sources[0];
	ck_assert_str_eq(s->name, "one");
	ck_assert_int_eq(s->kind, SOURCE_JSON_INDEX);
	ck_assert_str_eq(s->url, "https://a.example/index.json");
	ck_assert_uint_eq(s->n_urls, 0);
	ck_assert_ptr_null(s->urls);
	s = &cfg->fetcher.sources[1];
	ck_assert_str_eq(s->name, "two_2");
	ck_assert_int_eq(s->kind, SOURCE_URL_LIST);
	ck_assert_ptr_null(s->url);
	ck_assert_uint_eq(s->n_urls, 2);
	ck_assert_str_eq(s->urls[0], "https://b.example/x.zip");
	ck_assert_str_eq(s->urls[1], "http://b.example/y%20z.7z");
	s = &cfg->fetcher.sources[2];
	ck_assert_str_eq(s->name, "three");
	ck_assert_int_eq(s->kind, SOURCE_HTML_INDEX);
	ck_assert_str_eq(s->url, "http://c.example/maps/");
	config_free(cfg);
}
END_TEST

/* The shipped file documents the defaults, so it must equal them. */
START_TEST(test_trusted_proxies)
{
	char err[256] = "", *text;
	struct config *cfg = parse("web:\n  trusted_proxies:\n    - 127.0.0.1\n"
				   "    - \"127.0.9.0/24\"\n    - ::1\n    - ::ffff:127.0.0.2\n"
				   "  login_throttle_keys: 16\n",
				   err, sizeof(err));
	struct strbuf sb;
	struct netaddr a;
	int i;

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_uint_eq(cfg->web.n_trusted_proxies, 4);
	ck_assert_uint_eq(cfg->web.trusted_proxies[1].prefix, 24);
	ck_assert_int_eq(netaddr_parse("127.0.9.77", 10, &a), 0);
	ck_assert(netaddr_in_any(&a, cfg->web.trusted_proxies, cfg->web.n_trusted_proxies));
	ck_assert_int_eq(netaddr_parse("127.0.0.2", 9, &a), 0); /* the mapped entry */
	ck_assert(netaddr_in_any(&a, cfg->web.trusted_proxies, cfg->web.n_trusted_proxies));
	ck_assert_int_eq(netaddr_parse("127.0.0.3", 9, &a), 0);
	ck_assert(!netaddr_in_any(&a, cfg->web.trusted_proxies, cfg->web.n_trusted_proxies));
	config_free(cfg);
	/* An empty list and null are none; at most 64 entries. */
	cfg = parse("web:\n  trusted_proxies: []\n", err, sizeof(err));
	ck_assert_msg(cfg && cfg->web.n_trusted_proxies == 0, "%s", err);
	config_free(cfg);
	cfg = parse("web:\n  trusted_proxies:\n", err, sizeof(err));
	ck_assert_msg(cfg && cfg->web.n_trusted_proxies == 0, "%s", err);
	config_free(cfg);
	for (int n = 64; n <= 65; n++) {
		strbuf_init(&sb);
		strbuf_puts(&sb, "web:\n  trusted_proxies:\n");
		for (i = 0; i < n; i++)
			strbuf_printf(&sb, "    - 127.0.0.%d\n", i + 1);
		text = strbuf_detach(&sb);
		cfg = parse(text, err, sizeof(err));
		if (n == 64) {
			ck_assert_msg(cfg && cfg->web.n_trusted_proxies == 64, "%s", err);
		} else {
			ck_assert_ptr_null(cfg);
			ck_assert_str_eq(err,
					 "t.yaml:3:5: web.trusted_proxies: more than 64 entries");
		}
		config_free(cfg);
		free(text);
		strbuf_fini(&sb);
	}
}
END_TEST

START_TEST(test_shipped)
{
	char err[256] = "";
	struct config *cfg = config_load(SHIPPED, err, sizeof(err));
	const struct config_source *s;

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(cfg->path, SHIPPED);
	assert_defaults(cfg);
	ck_assert_uint_eq(cfg->fetcher.n_sources, 2);
	s = &cfg->fetcher.sources[0];
	ck_assert_str_eq(s->name, "l4d2center-maps");
	ck_assert_int_eq(s->kind, SOURCE_JSON_INDEX);
	ck_assert_str_eq(s->url, "https://l4d2center.com/maps/servers/index.json");
	s = &cfg->fetcher.sources[1];
	ck_assert_str_eq(s->name, "cedapug-maps");
	ck_assert_int_eq(s->kind, SOURCE_URL_LIST);
	ck_assert_uint_ge(s->n_urls, 1);
	ck_assert_str_eq(s->urls[0], "https://cedapug.com/maps/detourahead.zip");
	config_free(cfg);
}
END_TEST

/* ---- files on disk ------------------------------------------------------ */

static char tmpdir[64];

static void tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char *p = xasprintf("%s/c.yaml", tmpdir);

	unlink(p);
	free(p);
	rmdir(tmpdir);
}

static char *write_tmp(const char *text, size_t len)
{
	char *p = xasprintf("%s/c.yaml", tmpdir);
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

START_TEST(test_load_file)
{
	char *p = write_tmp(full_yaml, strlen(full_yaml));
	char err[256] = "";
	struct config *cfg = config_load(p, err, sizeof(err));

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->path, p);
	ck_assert_uint_eq(cfg->fetcher.n_sources, 3);
	config_free(cfg);
	free(p);
}
END_TEST

START_TEST(test_load_error_names_file)
{
	static const char text[] = "web:\n  sudo: true\n";
	char *p = write_tmp(text, strlen(text));
	char *want = xasprintf("%s:2:3: web.sudo: unknown key", p);
	char err[256] = "";

	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	ck_assert_str_eq(err, want);
	free(want);
	free(p);
}
END_TEST

START_TEST(test_load_missing)
{
	char err[256] = "";

	ck_assert_ptr_null(config_load("/nonexistent/left4me.yaml", err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/left4me.yaml: cannot read: No such file or directory");
}
END_TEST

START_TEST(test_load_directory)
{
	char err[256] = "";
	char *want = xasprintf("%s: cannot read: %s", tmpdir, strerror(EISDIR));

	ck_assert_ptr_null(config_load(tmpdir, err, sizeof(err)));
	ck_assert_str_eq(err, want);
	free(want);
}
END_TEST

START_TEST(test_load_too_large)
{
	size_t len = 1024 * 1024 + 1;
	char *text = xmalloc(len);
	char *p, *want;
	char err[256] = "";

	memset(text, '#', len);
	p = write_tmp(text, len);
	want = xasprintf("%s: larger than 1048576 bytes", p);
	ck_assert_ptr_null(config_load(p, err, sizeof(err)));
	ck_assert_str_eq(err, want);
	free(want);
	free(p);
	free(text);
}
END_TEST

/* ---- small things ------------------------------------------------------- */

START_TEST(test_err_truncated)
{
	char err[16];

	ck_assert_ptr_null(parse("web:\n  lisen: x\n", err, sizeof(err)));
	ck_assert_str_eq(err, "t.yaml:2:3: ...");
	/* No buffer at all must not crash. */
	ck_assert_ptr_null(parse("foo: 1\n", NULL, 0));
}
END_TEST

START_TEST(test_not_nul_terminated)
{
	static const char text[] = "state_dir: /a\nweb: garbage";
	char err[256] = "";
	struct config *cfg =
	    config_parse("t.yaml", text, strlen("state_dir: /a\n"), err, sizeof(err));

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->state_dir, "/a");
	config_free(cfg);
}
END_TEST

START_TEST(test_long_string)
{
	char *yaml = xmalloc(4200);
	char err[256] = "";
	struct config *cfg;

	strcpy(yaml, "state_dir: /");
	memset(yaml + 12, 'x', 4096);
	strcpy(yaml + 12 + 4096, "\n");
	ck_assert_ptr_null(parse(yaml, err, sizeof(err)));
	ck_assert_str_eq(err, "t.yaml:1:12: state_dir: longer than 4096 bytes");
	/* Exactly 4096 bytes is fine. */
	strcpy(yaml + 12 + 4095, "\n");
	cfg = parse(yaml, err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_uint_eq(strlen(cfg->state_dir), 4096);
	config_free(cfg);
	free(yaml);
}
END_TEST

START_TEST(test_free_null)
{
	config_free(NULL);
}
END_TEST

START_TEST(test_db_path)
{
	char err[256];
	struct config *cfg = parse("state_dir: /srv/x\n", err, sizeof(err));
	char *db = config_db_path(cfg);

	ck_assert_str_eq(db, "/srv/x/left4me.db");
	free(db);
	config_free(cfg);
}
END_TEST

struct path_case {
	const char *arg;
	const char *env; /* NULL: unset */
	const char *want;
};

static const struct path_case path_cases[] = {
    {"/x.yaml", "/env.yaml", "/x.yaml"},
    {"rel.yaml", NULL, "rel.yaml"},
    {"", "/env.yaml", ""},
    {NULL, "/env.yaml", "/env.yaml"},
    {NULL, "", CONFIG_DEFAULT_PATH},
    {NULL, NULL, CONFIG_DEFAULT_PATH},
};

START_TEST(test_config_path)
{
	const struct path_case *c = &path_cases[_i];

	if (c->env)
		ck_assert_int_eq(setenv(CONFIG_ENV, c->env, 1), 0);
	else
		ck_assert_int_eq(unsetenv(CONFIG_ENV), 0);
	ck_assert_str_eq(config_path(c->arg), c->want);
	unsetenv(CONFIG_ENV);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("good");
	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_empty_is_defaults);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_trusted_proxies);
	tcase_add_test(tc, test_shipped);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_load_error_names_file);
	tcase_add_test(tc, test_load_missing);
	tcase_add_test(tc, test_load_directory);
	tcase_add_test(tc, test_load_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("misc");
	tcase_add_test(tc, test_err_truncated);
	tcase_add_test(tc, test_not_nul_terminated);
	tcase_add_test(tc, test_long_string);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_db_path);
	tcase_add_loop_test(tc, test_config_path, 0, sizeof(path_cases) / sizeof(path_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
