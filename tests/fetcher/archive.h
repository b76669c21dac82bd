/* Building test archives with libarchive's writer (zip and 7z), including
 * hostile ones: paths with "..", absolute names, symlinks, bombs. */
#ifndef LEFT4ME_TEST_ARCHIVE_H
#define LEFT4ME_TEST_ARCHIVE_H

#include <stddef.h>

enum ta_format { TA_ZIP, TA_7Z, TA_ZIP_STORE };
enum ta_type { TA_FILE, TA_DIR, TA_SYMLINK };

struct ta_entry {
	const char *name;
	enum ta_type type;
	const char *data;   /* TA_FILE: contents (NUL-terminated), or NULL with fill */
	long long fill;	    /* TA_FILE with data NULL: this many bytes of pattern */
	unsigned seed;	    /* pattern: 0 = zeros, else pseudo-random from seed */
	const char *link;   /* TA_SYMLINK target */
	long long declared; /* > 0: size written into the header (a lie if it differs) */
};

/* Write path (aborts on error). */
void ta_write(const char *path, enum ta_format fmt, const struct ta_entry *e, size_t n);
/* md5 of an entry's contents as lower-case hex into out[33]. */
void ta_md5(const struct ta_entry *e, char out[33]);
/* md5 of a file. */
void ta_md5_file(const char *path, char out[33]);
/* Cut a file to len bytes. */
void ta_truncate(const char *path, long long len);

#endif
