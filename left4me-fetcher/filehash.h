/* md5s of the files extracted from one archive, computed by a second thread
 * that reads the written bytes back from the page cache.  Decompressing +
 * writing and MD5 then run on two cores instead of one after the other;
 * the writer only publishes how far each file is written and does not wait
 * at the end of a file, so the hashing of one vpk overlaps the extraction
 * of the next.  At most FILEHASH_MAX_PENDING files are unhashed at a time.
 * Used by extract.c for items whose index gives an md5.  The files must be
 * written only by the caller, sequentially from offset 0. */
#ifndef LEFT4ME_FETCHER_FILEHASH_H
#define LEFT4ME_FETCHER_FILEHASH_H

#include <stddef.h>
#include <stdint.h>

#define FILEHASH_MAX_PENDING 4

struct filehash;

/* Start the thread: a new filehash, or NULL with errno. */
struct filehash *filehash_new(void);

/* Stop and join the thread, close its fds, free h (NULL is fine). */
void filehash_free(struct filehash *h);

/* Begin file number filehash_count(): fd is open O_RDWR and still empty; h
 * keeps a dup of it.  Waits while FILEHASH_MAX_PENDING files are unhashed.
 * The previous file must be ended.  0, or -1 with errno. */
int filehash_add(struct filehash *h, int fd);

/* The current file's first `written` bytes are in it (monotonic). */
void filehash_advance(struct filehash *h, int64_t written);

/* The current file is complete; its hash is finished in the background. */
void filehash_end(struct filehash *h);

/* Wait for file i's md5: 0 and hex[33] filled (lower case), or -1 with
 * errno if reading back failed (hex ""). */
int filehash_result(struct filehash *h, size_t i, char hex[33]);

#endif
