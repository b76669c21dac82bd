/* Password hashing, tokens and constant-time comparison. */
#include <check.h>
#include <string.h>

#include "auth.h"
#include "testutil.h"

START_TEST(test_hash_verify)
{
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];

	ck_assert_int_eq(auth_hash_password("correct horse", h1), 0);
	ck_assert_int_eq(auth_hash_password("correct horse", h2), 0);
	ck_assert(strncmp(h1, "$y$", 3) == 0);
	ck_assert_str_ne(h1, h2); /* fresh salt each time */
	ck_assert(auth_verify_password("correct horse", h1));
	ck_assert(auth_verify_password("correct horse", h2));
	ck_assert(!auth_verify_password("correct horsE", h1));
	ck_assert(!auth_verify_password("", h1));
	ck_assert(!auth_verify_password("correct horse", "$1$abc$def"));
	ck_assert(!auth_verify_password("correct horse", ""));
	ck_assert(!auth_verify_password("correct horse", NULL));
	ck_assert(!auth_verify_password("correct horse", "$y$garbage"));
	auth_dummy_verify("anything"); /* must not crash, returns nothing */
}
END_TEST

START_TEST(test_ct_streq)
{
	ck_assert(auth_ct_streq("abc", "abc"));
	ck_assert(auth_ct_streq("", ""));
	ck_assert(!auth_ct_streq("abc", "abd"));
	ck_assert(!auth_ct_streq("ab", "abc"));
	ck_assert(!auth_ct_streq("abcd", "abc"));
	ck_assert(!auth_ct_streq("", "a"));
	ck_assert(!auth_ct_streq("a", ""));
}
END_TEST

START_TEST(test_tokens)
{
	char a[AUTH_TOKEN_HEX + 1], b[AUTH_TOKEN_HEX + 1], t[AUTH_API_TOKEN_LEN + 1];

	ck_assert_int_eq(auth_random_hex(a), 0);
	ck_assert_int_eq(auth_random_hex(b), 0);
	ck_assert_uint_eq(strlen(a), 64);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 64);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(auth_new_api_token(t), 0);
	ck_assert_uint_eq(strlen(t), AUTH_API_TOKEN_LEN);
	ck_assert(strncmp(t, "l4m_", 4) == 0);
}
END_TEST

START_TEST(test_sha256)
{
	char out[AUTH_SHA256_HEX + 1];

	auth_sha256_hex("", out);
	ck_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	auth_sha256_hex("abc", out);
	ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hash_verify);
	tcase_add_test(tc, test_ct_streq);
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_sha256);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
