/* Password hashing and tokens; see auth.h. */
#include "auth.h"

#include <crypt.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "xalloc.h"

static int random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int auth_hash_password(const char *password, char out[AUTH_HASH_MAX])
{
	unsigned char rnd[32];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	int rc = -1;

	if (random_bytes(rnd, sizeof(rnd)) < 0)
		return -1;
	if (!crypt_gensalt_rn("$y$", 0, (const char *)rnd, sizeof(rnd), salt, sizeof(salt)))
		return -1;
	cd = xcalloc(1, sizeof(*cd));
	if (crypt_r(password, salt, cd) && cd->output[0] == '$' &&
	    strlen(cd->output) < AUTH_HASH_MAX) {
		memcpy(out, cd->output, strlen(cd->output) + 1);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

bool auth_verify_password(const char *password, const char *hash)
{
	struct crypt_data *cd;
	bool ok = false;

	if (!hash || strncmp(hash, "$y$", 3) != 0)
		return false;
	cd = xcalloc(1, sizeof(*cd));
	if (crypt_r(password, hash, cd) && cd->output[0] == '$')
		ok = auth_ct_streq(cd->output, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

static char dummy_hash[AUTH_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	char pw[AUTH_TOKEN_HEX + 1];

	if (auth_random_hex(pw) < 0 || auth_hash_password(pw, dummy_hash) < 0)
		fatal("cannot make the dummy password hash");
	explicit_bzero(pw, sizeof(pw));
}

void auth_dummy_verify(const char *password)
{
	pthread_once(&dummy_once, make_dummy);
	(void)auth_verify_password(password, dummy_hash);
}

bool auth_ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = la != lb;

	for (i = 0; i < lb; i++)
		diff |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return diff == 0;
}

int auth_random_hex(char out[AUTH_TOKEN_HEX + 1])
{
	unsigned char rnd[AUTH_TOKEN_HEX / 2];

	if (random_bytes(rnd, sizeof(rnd)) < 0)
		return -1;
	to_hex(rnd, sizeof(rnd), out);
	explicit_bzero(rnd, sizeof(rnd));
	return 0;
}

int auth_new_api_token(char out[AUTH_API_TOKEN_LEN + 1])
{
	memcpy(out, AUTH_API_PREFIX, 4);
	return auth_random_hex(out + 4);
}

void auth_sha256_hex(const char *s, char out[AUTH_SHA256_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) || n != 32)
		fatal("SHA-256 is unavailable");
	to_hex(md, n, out);
}
