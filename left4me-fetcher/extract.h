/* Extracting the .vpk files of one downloaded archive (zip or 7z, hostile
 * input) into an empty staging directory with libarchive.  Every entry is
 * checked before a byte is written: a path that is absolute or has a ".."
 * component, a symlink, hardlink, device, FIFO or socket refuses the whole
 * archive; entry count, each entry's size and the total are capped while
 * reading (declared sizes may lie).  vpks land flat under their base
 * name, fsync'd; everything else is skipped.  On failure the staging
 * directory is left empty. */
#ifndef LEFT4ME_FETCHER_EXTRACT_H
#define LEFT4ME_FETCHER_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct extract_limits {
	long long max_total; /* bytes written from one archive (also per entry) */
	long long max_entries;
	bool md5;   /* compute each vpk's md5 (a second thread, see filehash.h) */
	bool fsync; /* fsync each vpk before returning */
};

struct extract_file {
	char *name; /* a fetch_safe_name() ending in .vpk */
	int64_t size;
	char md5[33]; /* lower-case hex, "" unless limits.md5 */
};

struct extract_result {
	struct extract_file *files;
	size_t n;
	int64_t entries;
	char error[256];
	bool no_space; /* failed writing: ENOSPC, EDQUOT or EFBIG */
};

void extract_result_fini(struct extract_result *r);

/* Extract archive_path's vpks into staging_fd.  0, or -1 with r->error. */
int extract_vpks(const char *archive_path, int staging_fd, const struct extract_limits *lim,
		 struct extract_result *r);

#endif
