/* Plain replay driver for the fuzz targets in tests/fuzz/ (gcc, no clang):
 * linked with one fuzz_NAME.c into $(B)/tests/fuzz/replay_NAME and run by
 * `make check`.  It feeds every file of tests/fuzz/corpus/NAME/ to
 * LLVMFuzzerTestOneInput, then a fixed number of deterministic mutations
 * of them (bit flips, byte sets, inserts, deletes, duplications, splices
 * between seeds), so the targets' property checks run in every build,
 * including the ASan one.  A failed property abort()s: the input is saved
 * to $TMPDIR/left4me-replay-NAME.crash for `replay_NAME FILE` or the
 * libFuzzer binary to reproduce.
 *
 *   replay_NAME [-n ITERATIONS] [-s SEED] [FILE|DIR...]
 *
 * Without paths it uses the seed corpus compiled in (FUZZ_CORPUS_DIR/NAME);
 * the default is 20,000 mutations (less where a slow target says so with
 * FUZZ_REPLAY_ITERATIONS), LEFT4ME_FUZZ_ITERATIONS or -n override it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "parse.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#ifndef FUZZ_CORPUS_DIR
#define FUZZ_CORPUS_DIR "tests/fuzz/corpus"
#endif

#define DEFAULT_ITERATIONS 20000
#define DEFAULT_SEED	   0x6c34642d66757a7aULL /* "l4d-fuzz" */
#define REPLAY_MAX_INPUT   (1024 * 1024)
#define MAX_STACK	   8 /* mutations applied to one input */

struct input {
	char *name;
	uint8_t *data;
	size_t size;
};

/* Set by FUZZ_REPLAY_ITERATIONS() in a slow target. */
extern const long long fuzz_replay_iterations __attribute__((weak));

static struct input *seeds;
static size_t n_seeds;

/* The input being run, for the crash handler. */
static const uint8_t *cur_data;
static size_t cur_size;
static volatile sig_atomic_t running, saved;
static long cur_iteration = -1; /* -1: a seed file */
static const char *cur_name;
static char crash_path[4096];

static uint64_t rng_state;

/* splitmix64: tiny, fast and the same on every platform. */
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n); n > 0. */
static size_t rng_below(size_t n)
{
	return (size_t)(rng_next() % n);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void put_str(const char *s)
{
	write_all(2, s, strlen(s));
}

/* Async-signal-safe: save the current input and say where it is. */
static void save_crash(void)
{
	char num[32];
	int fd, i = (int)sizeof(num) - 1;
	unsigned long v;

	if (!running || saved)
		return;
	saved = 1;
	fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	write_all(fd, cur_data, cur_size);
	close(fd);
	put_str("replay: crashing input (");
	if (cur_iteration < 0) {
		put_str("seed ");
		put_str(cur_name);
	} else {
		num[i] = '\0';
		v = (unsigned long)cur_iteration;
		do {
			num[--i] = (char)('0' + v % 10);
			v /= 10;
		} while (v && i > 0);
		put_str("mutation ");
		put_str(num + i);
		put_str(" of seed ");
		put_str(cur_name);
	}
	put_str(") saved to ");
	put_str(crash_path);
	put_str("\n");
}

static void on_abort(int sig)
{
	save_crash();
	signal(sig, SIG_DFL);
	raise(sig);
}

#ifdef __SANITIZE_ADDRESS__
static void on_sanitizer_death(void)
{
	save_crash();
}
#endif

static void *xmalloc_or_die(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "replay: out of memory\n");
		exit(1);
	}
	return p;
}

static void run_one(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan sees any read past the end. */
	uint8_t *copy = xmalloc_or_die(size);

	if (size)
		memcpy(copy, data, size);
	cur_data = copy;
	cur_size = size;
	running = 1;
	LLVMFuzzerTestOneInput(copy, size);
	running = 0;
	free(copy);
}

static int read_file(const char *path, struct input *in)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	in->name = xmalloc_or_die(strlen(path) + 1);
	strcpy(in->name, path);
	in->data = xmalloc_or_die(cap);
	in->size = 0;
	while ((n = fread(in->data + in->size, 1, cap - in->size, f)) > 0) {
		in->size += n;
		if (in->size > REPLAY_MAX_INPUT) {
			fprintf(stderr, "replay: %s: larger than %d bytes\n", path,
				REPLAY_MAX_INPUT);
			fclose(f);
			return -1;
		}
		if (in->size == cap) {
			cap *= 2;
			in->data = realloc(in->data, cap);
			if (!in->data) {
				fprintf(stderr, "replay: out of memory\n");
				exit(1);
			}
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_seed(struct input *in)
{
	seeds = realloc(seeds, (n_seeds + 1) * sizeof(*seeds));
	if (!seeds) {
		fprintf(stderr, "replay: out of memory\n");
		exit(1);
	}
	seeds[n_seeds++] = *in;
}

/* Load a file, or every regular file of a directory in name order (so the
 * mutations are the same on every machine). */
static int load_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		struct input in;

		if (read_file(path, &in) < 0)
			return -1;
		add_seed(&in);
		return 0;
	}
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names || asprintf(&names[n], "%s/%s", path, de->d_name) < 0) {
			fprintf(stderr, "replay: out of memory\n");
			exit(1);
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		struct input in;

		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (read_file(names[i], &in) < 0)
				rc = -1;
			else
				add_seed(&in);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* ---- mutations ------------------------------------------------------------ */

static const uint8_t interesting[] = {
    0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf8,
    0xbf, '\n', '\r', '\t', ' ',  '"',	'\'', '\\', ':',  '/',	'.',  '-',  '_',
    '#',  '=',	'0',  '1',  '9',  'a',	'z',  'A',  'Z',  '[',	']',  '{',  '}',
    ',',  '&',	'*',  '!',  '%',  '|',	'>',  '?',  '@',  '`',	'~',
};

struct buf {
	uint8_t *data;
	size_t size, cap;
};

static void buf_reserve(struct buf *b, size_t want)
{
	if (want <= b->cap)
		return;
	while (b->cap < want)
		b->cap = b->cap ? 2 * b->cap : 256;
	b->data = realloc(b->data, b->cap);
	if (!b->data) {
		fprintf(stderr, "replay: out of memory\n");
		exit(1);
	}
}

/* Insert len bytes at pos (src may point into b). */
static void buf_insert(struct buf *b, size_t pos, const uint8_t *src, size_t len)
{
	uint8_t *tmp = xmalloc_or_die(len);

	memcpy(tmp, src, len);
	buf_reserve(b, b->size + len);
	memmove(b->data + pos + len, b->data + pos, b->size - pos);
	memcpy(b->data + pos, tmp, len);
	b->size += len;
	free(tmp);
}

static void buf_delete(struct buf *b, size_t pos, size_t len)
{
	memmove(b->data + pos, b->data + pos + len, b->size - pos - len);
	b->size -= len;
}

/* A short length, mostly 1..8, sometimes up to max. */
static size_t short_len(size_t max)
{
	size_t n;

	if (max == 0)
		return 0;
	n = rng_below(4) ? 1 + rng_below(8) : 1 + rng_below(max);
	return n > max ? max : n;
}

static void mutate_once(struct buf *b, size_t max_size)
{
	const struct input *other = &seeds[rng_below(n_seeds)];
	size_t pos, len;
	uint8_t byte;

	switch (rng_below(11)) {
	case 0: /* flip a bit */
		if (b->size)
			b->data[rng_below(b->size)] ^= (uint8_t)(1u << rng_below(8));
		break;
	case 1: /* set a random byte */
		if (b->size)
			b->data[rng_below(b->size)] = (uint8_t)rng_next();
		break;
	case 2: /* set an interesting byte */
		if (b->size)
			b->data[rng_below(b->size)] = interesting[rng_below(sizeof(interesting))];
		break;
	case 3: /* insert random or interesting bytes */
		len = short_len(16);
		if (b->size + len > max_size)
			break;
		pos = rng_below(b->size + 1);
		for (size_t i = 0; i < len; i++) {
			byte = rng_below(2) ? (uint8_t)rng_next()
					    : interesting[rng_below(sizeof(interesting))];
			buf_insert(b, pos + i, &byte, 1);
		}
		break;
	case 4: /* delete a range */
		if (b->size) {
			pos = rng_below(b->size);
			buf_delete(b, pos, short_len(b->size - pos));
		}
		break;
	case 5: /* duplicate a range */
		if (b->size) {
			pos = rng_below(b->size);
			len = short_len(b->size - pos);
			if (b->size + len <= max_size)
				buf_insert(b, rng_below(b->size + 1), b->data + pos, len);
		}
		break;
	case 6: /* splice in a range of another seed */
		if (other->size) {
			pos = rng_below(other->size);
			len = short_len(other->size - pos);
			if (b->size + len <= max_size)
				buf_insert(b, rng_below(b->size + 1), other->data + pos, len);
		}
		break;
	case 7: /* overwrite a range with another seed's bytes */
		if (b->size && other->size) {
			size_t at = rng_below(b->size);

			pos = rng_below(other->size);
			len = short_len(other->size - pos);
			if (len > b->size - at)
				len = b->size - at;
			memcpy(b->data + at, other->data + pos, len);
		}
		break;
	case 8: /* truncate */
		if (b->size)
			b->size = rng_below(b->size);
		break;
	case 9: /* swap two bytes */
		if (b->size > 1) {
			size_t x = rng_below(b->size), y = rng_below(b->size);

			byte = b->data[x];
			b->data[x] = b->data[y];
			b->data[y] = byte;
		}
		break;
	case 10: /* nudge a digit: numbers at their limits */
		for (size_t tries = 0; tries < 8 && b->size; tries++) {
			pos = rng_below(b->size);
			if (b->data[pos] >= '0' && b->data[pos] <= '9') {
				b->data[pos] = (uint8_t)('0' + rng_below(10));
				break;
			}
		}
		break;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n ITERATIONS] [-s SEED] [FILE|DIR...]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	const char *name, *tmp = getenv("TMPDIR"), *env_iter = getenv("LEFT4ME_FUZZ_ITERATIONS");
	long long iterations = DEFAULT_ITERATIONS, seed = (long long)(DEFAULT_SEED >> 1), v;
	size_t max_seed = 0, i;
	struct buf b = {0};
	double t0;
	char corpus[4096];
	int opt;

	base = base ? base + 1 : argv[0];
	if (&fuzz_replay_iterations)
		iterations = fuzz_replay_iterations;
	name = strncmp(base, "replay_", 7) == 0 ? base + 7 : base;
	if (env_iter && parse_int(env_iter, 0, 1000000000, &iterations) < 0) {
		fprintf(stderr, "replay: LEFT4ME_FUZZ_ITERATIONS: not a number\n");
		return 2;
	}
	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_int(optarg, 0, 1000000000, &iterations) < 0)
				usage(argv[0]);
			break;
		case 's':
			if (parse_int(optarg, 0, INT64_MAX, &v) < 0)
				usage(argv[0]);
			seed = v;
			break;
		default:
			usage(argv[0]);
		}
	}
	rng_state = (uint64_t)seed;
	snprintf(crash_path, sizeof(crash_path), "%s/left4me-replay-%s.crash",
		 tmp && *tmp ? tmp : "/tmp", name);
	signal(SIGABRT, on_abort);
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_death_callback(on_sanitizer_death);
#endif

	if (optind < argc) {
		for (; optind < argc; optind++)
			if (load_path(argv[optind]) < 0)
				return 1;
	} else {
		if ((size_t)snprintf(corpus, sizeof(corpus), "%s/%s", FUZZ_CORPUS_DIR, name) >=
		    sizeof(corpus)) {
			fprintf(stderr, "replay: corpus path too long\n");
			return 1;
		}
		if (load_path(corpus) < 0)
			return 1;
	}
	/* Never pass quietly on nothing: a target without seeds is a mistake. */
	if (n_seeds == 0) {
		fprintf(stderr, "replay %s: no seed inputs\n", name);
		return 1;
	}

	t0 = now_s();
	for (i = 0; i < n_seeds; i++) {
		cur_name = seeds[i].name;
		run_one(seeds[i].data, seeds[i].size);
		if (seeds[i].size > max_seed)
			max_seed = seeds[i].size;
	}
	/* Room to grow, but not so much that one input dominates the time. */
	max_seed = max_seed * 2 + 64;
	if (max_seed > REPLAY_MAX_INPUT)
		max_seed = REPLAY_MAX_INPUT;
	for (long long it = 0; it < iterations; it++) {
		const struct input *s = &seeds[rng_below(n_seeds)];
		size_t stack = 1 + rng_below(rng_below(4) ? 2 : MAX_STACK);

		b.size = 0;
		buf_reserve(&b, s->size);
		if (s->size)
			memcpy(b.data, s->data, s->size);
		b.size = s->size;
		for (size_t k = 0; k < stack; k++)
			mutate_once(&b, max_seed);
		cur_iteration = (long)it;
		cur_name = s->name;
		run_one(b.data, b.size);
	}
	printf("replay %s: %zu seeds + %lld mutations in %.2f s: all properties held\n", name,
	       n_seeds, iterations, now_s() - t0);

	free(b.data);
	for (i = 0; i < n_seeds; i++) {
		free(seeds[i].name);
		free(seeds[i].data);
	}
	free(seeds);
	return 0;
}
