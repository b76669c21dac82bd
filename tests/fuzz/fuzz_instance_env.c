/* Fuzz target: instance_env_parse() (libleft4me/instance_env.h), the text
 * the left4me-overlay helper reads as root.  Properties: no crash or leak;
 * a refusal has a one-line message; an accepted file has the documented
 * shapes, and instance_env_format() of it parses back to an equal struct
 * (the writer and the reader agree). */
#include "fuzz.h"

#include "instance_env.h"

/* A clean absolute path: '/'-separated components, none empty, "." or "..". */
static int clean_absolute(const char *d)
{
	const char *p = d, *end;

	if (*p != '/')
		return 0;
	while (*p == '/') {
		p++;
		end = strchrnul(p, '/');
		if (end == p || (end - p == 1 && p[0] == '.') ||
		    (end - p == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p = end;
	}
	return 1;
}

static void check_shapes(const struct instance_env *env)
{
	FUZZ_CHECK(env->n_lowerdirs >= 1 && env->n_lowerdirs <= INSTANCE_ENV_MAX_LOWERDIRS, "%zu",
		   env->n_lowerdirs);
	FUZZ_CHECK(env->port >= 1024 && env->port <= 65535, "port %d", env->port);
	FUZZ_CHECK(env->maxplayers >= 1 && env->maxplayers <= 32, "maxplayers %d", env->maxplayers);
	FUZZ_CHECK(env->map && strlen(env->map) >= 1 && strlen(env->map) <= 64, "map");
	FUZZ_CHECK(env->tickrate == 0 || (env->tickrate >= 30 && env->tickrate <= 128),
		   "tickrate %d", env->tickrate);
	for (size_t i = 0; i < env->n_args; i++) {
		/* every option is in the allowlist, and nothing is a path */
		FUZZ_CHECK(env->args[i] && env->args[i][0] && !strpbrk(env->args[i], "/ \"\\\n"),
			   "arg %s", env->args[i]);
		FUZZ_CHECK(env->args[i][0] != '-' && env->args[i][0] != '+' ? i > 0 : 1,
			   "value first: %s", env->args[i]);
	}
	for (size_t i = 0; i < env->n_lowerdirs; i++) {
		const char *d = env->lowerdirs[i];

		FUZZ_CHECK(clean_absolute(d), "lowerdir %s", d);
		FUZZ_CHECK(!strpbrk(d, ":\"\\\n\t"), "lowerdir %s", d);
	}
}

static int env_equal(const struct instance_env *a, const struct instance_env *b)
{
	if (a->n_lowerdirs != b->n_lowerdirs || a->port != b->port ||
	    a->maxplayers != b->maxplayers || strcmp(a->map, b->map) != 0 ||
	    a->tickrate != b->tickrate || a->n_args != b->n_args)
		return 0;
	for (size_t i = 0; i < a->n_args; i++)
		if (strcmp(a->args[i], b->args[i]) != 0)
			return 0;
	for (size_t i = 0; i < a->n_lowerdirs; i++)
		if (strcmp(a->lowerdirs[i], b->lowerdirs[i]) != 0)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct instance_env env, back;
	char err[256], ferr[256], berr[256];
	char *text;

	memset(err, 'x', sizeof(err));
	if (instance_env_parse((const char *)data, size, &env, err, sizeof(err)) < 0) {
		size_t len = strnlen(err, sizeof(err));

		FUZZ_CHECK(len > 0 && len < sizeof(err), "message length %zu", len);
		FUZZ_CHECK(!fuzz_has_control(err, len, 0), "message is not one line: %s", err);
		FUZZ_CHECK(env.n_lowerdirs == 0 && !env.lowerdirs && !env.map && !env.args,
			   "not reset");
		return 0;
	}
	check_shapes(&env);

	text = instance_env_format(&env, ferr, sizeof(ferr));
	FUZZ_CHECK(text != NULL, "an accepted file does not format: %s", ferr);
	FUZZ_CHECK(instance_env_parse(text, strlen(text), &back, berr, sizeof(berr)) == 0,
		   "formatted text does not parse: %s\n%s", berr, text);
	FUZZ_CHECK(env_equal(&env, &back), "round trip changed the values:\n%s", text);
	instance_env_fini(&back);
	free(text);
	instance_env_fini(&env);
	return 0;
}
