/* Shared by every fuzz target in tests/fuzz/ and by the replay driver.
 * A target defines LLVMFuzzerTestOneInput() and checks its properties with
 * FUZZ_CHECK, which prints what failed and abort()s, so libFuzzer and the
 * replay driver (tests/fuzz/replay.c) both report it as a crash. */
#ifndef LEFT4ME_FUZZ_H
#define LEFT4ME_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A slow target may lower the replay driver's default of 20,000 mutations
 * (at file scope: FUZZ_REPLAY_ITERATIONS(8000);).  libFuzzer ignores it. */
extern const long long fuzz_replay_iterations;
#define FUZZ_REPLAY_ITERATIONS(n) const long long fuzz_replay_iterations = (n)

/* A property that must hold for every input: on failure print where and
 * why on stderr and abort(). */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__,        \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The input as a NUL-terminated string (cut at its first NUL byte, as a C
 * string API would see it).  Caller frees. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* true if s holds a newline, carriage return or other ASCII control byte
 * (tab counts only when tab_ok is false). */
static inline int fuzz_has_control(const char *s, size_t len, int tab_ok)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7f)
			return 1;
	}
	return 0;
}

/* A C1 control character (U+0080..U+009F, UTF-8 C2 80..C2 9F). */
static inline int fuzz_has_c1(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return 1;
	return 0;
}

#endif
