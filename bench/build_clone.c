/* Benchmark helper (bench/update-copy.sh): copy one game build the way
 * install_game stages an update (left4me-worker/builds.c: FICLONE per
 * file where the filesystem can, else a full copy) and print what it
 * took.  Usage: build_clone SRC DST (DST must not exist). */
#include <stdio.h>
#include <time.h>

#include "../left4me-worker/builds.h"

int main(int argc, char **argv)
{
	struct clone_stats st;
	struct timespec a, b;
	char err[512];

	if (argc != 3) {
		fprintf(stderr, "usage: build_clone SRC DST\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (builds_clone(argv[1], argv[2], &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "build_clone: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("files=%lld dirs=%lld bytes=%lld reflinked=%lld copied=%lld seconds=%.2f\n",
	       st.files, st.dirs, st.bytes, st.reflinked, st.copied,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
