/* Passwords and tokens: yescrypt hashes through libcrypt ("$y$"), random
 * tokens from getrandom(), SHA-256 of tokens for storage, constant-time
 * comparison.  Passwords are wiped with explicit_bzero by their owners. */
#ifndef LEFT4ME_AUTH_H
#define LEFT4ME_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_HASH_MAX	   384 /* CRYPT_OUTPUT_SIZE */
#define AUTH_TOKEN_HEX	   64  /* 32 random bytes in hex */
#define AUTH_SHA256_HEX	   64
#define AUTH_API_PREFIX	   "l4m_"
#define AUTH_API_TOKEN_LEN (4 + AUTH_TOKEN_HEX)

/* Hash password with a fresh salt into out (AUTH_HASH_MAX bytes). */
int auth_hash_password(const char *password, char out[AUTH_HASH_MAX]);
/* true if password matches hash (constant-time compare of the result). */
bool auth_verify_password(const char *password, const char *hash);
/* Spend the time of one verification against a dummy hash: used for an
 * unknown user, so the answer takes as long as a wrong password. */
void auth_dummy_verify(const char *password);

/* Constant-time equality of two NUL-terminated strings (time depends only
 * on the length of b, the expected value). */
bool auth_ct_streq(const char *a, const char *b);

/* 32 random bytes as 64 lowercase hex chars + NUL into out. */
int auth_random_hex(char out[AUTH_TOKEN_HEX + 1]);
/* A new API token: "l4m_" + 64 hex. */
int auth_new_api_token(char out[AUTH_API_TOKEN_LEN + 1]);
/* Lowercase hex SHA-256 of s. */
void auth_sha256_hex(const char *s, char out[AUTH_SHA256_HEX + 1]);

#endif
