/* Fuzz target: config_parse() of left4me.yaml text (libleft4me/config.h).
 * Properties: no crash, no leak (ASan/LSan), a refusal always comes with
 * one non-empty line of message, and the same verdict with a tiny error
 * buffer (the truncation path); an accepted config satisfies the schema's
 * own invariants. */
#include "fuzz.h"

#include <sys/socket.h>

#include "config.h"
#include "validate.h"

static void check_accepted(const struct config *cfg)
{
	FUZZ_CHECK(cfg->state_dir && cfg->state_dir[0] == '/', "state_dir %s", cfg->state_dir);
	FUZZ_CHECK(cfg->web.listen && cfg->web.public_url && cfg->web.secret_file, "web strings");
	FUZZ_CHECK(cfg->worker.helper_dir && cfg->worker.helper_dir[0] == '/', "helper_dir");
	FUZZ_CHECK(cfg->worker.stale_after > cfg->worker.heartbeat_interval, "%d <= %d",
		   cfg->worker.stale_after, cfg->worker.heartbeat_interval);
	FUZZ_CHECK(cfg->web.n_trusted_proxies <= CONFIG_MAX_TRUSTED_PROXIES, "%zu proxies",
		   cfg->web.n_trusted_proxies);
	for (size_t i = 0; i < cfg->web.n_trusted_proxies; i++) {
		const struct netaddr_block *b = &cfg->web.trusted_proxies[i];

		FUZZ_CHECK(netaddr_in_block(&b->base, b), "proxy %zu holds its base", i);
		FUZZ_CHECK(b->prefix <= (b->base.family == AF_INET ? 32u : 128u), "proxy %zu", i);
	}
	FUZZ_CHECK(cfg->web.login_throttle_keys >= 16 && cfg->web.login_delay >= 1,
		   "throttle bounds");
	for (size_t i = 0; i < cfg->fetcher.n_sources; i++) {
		const struct config_source *src = &cfg->fetcher.sources[i];

		FUZZ_CHECK(valid_source_name(src->name), "source %zu name", i);
		if (src->kind == SOURCE_URL_LIST)
			FUZZ_CHECK(!src->url && src->n_urls > 0, "source %zu urls", i);
		else
			FUZZ_CHECK(src->url && !src->urls, "source %zu url", i);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(src->name, cfg->fetcher.sources[j].name) != 0,
				   "duplicate source %s", src->name);
	}
}

static void check_refused(const char *err, size_t errlen)
{
	size_t len = strnlen(err, errlen);

	FUZZ_CHECK(len < errlen, "message not terminated");
	FUZZ_CHECK(len > 0, "empty message");
	FUZZ_CHECK(!fuzz_has_control(err, len, 0), "message is not one line: %s", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], tiny[12];
	struct config *cfg, *again;

	memset(err, 'x', sizeof(err));
	cfg = config_parse("fuzz.yaml", (const char *)data, size, err, sizeof(err));
	if (cfg)
		check_accepted(cfg);
	else
		check_refused(err, sizeof(err));

	memset(tiny, 'x', sizeof(tiny));
	again = config_parse("fuzz.yaml", (const char *)data, size, tiny, sizeof(tiny));
	FUZZ_CHECK(!cfg == !again, "verdict depends on the error buffer");
	if (!again)
		check_refused(tiny, sizeof(tiny));
	config_free(again);
	config_free(cfg);
	return 0;
}
