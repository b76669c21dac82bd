/* "Is this path a mount point?" from /proc/self/mountinfo, never from
 * st_dev comparison (which says "no" for a bind mount within one
 * filesystem).  Used by the root helpers and their tests. */
#ifndef LEFT4ME_MOUNTINFO_H
#define LEFT4ME_MOUNTINFO_H

#include <stddef.h>

/* Look for path (absolute, canonical) as a mount point in mountinfo text.
 * Returns the number of mounts stacked on it (0: not a mount point) and
 * copies the fstype of the topmost one into fstype (may be NULL).
 * Returns -1 if the text is malformed. */
int mountinfo_count(const char *text, size_t len, const char *path, char *fstype,
		    size_t fstype_len);

/* The same against /proc/self/mountinfo; -1 with errno on read failure. */
int mountinfo_lookup(const char *path, char *fstype, size_t fstype_len);

#endif
