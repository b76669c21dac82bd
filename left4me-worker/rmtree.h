/* Removing a tree under the state dir; see rmtree.c. */
#ifndef LEFT4ME_WORKER_RMTREE_H
#define LEFT4ME_WORKER_RMTREE_H

#include <stdbool.h>
#include <stddef.h>

/* Remove STATE/sub/name and everything below it (absent is fine): sub is
 * opened from the state dir's fd and name from sub's, neither following a
 * symlink; a symlink anywhere is removed, never followed; a directory on
 * another filesystem (a mount) is refused.  Sets *removed when name was
 * there.  -1 with one line in err on failure. */
int rmtree_under(const char *state_dir, const char *sub, const char *name, bool *removed, char *err,
		 size_t errlen);

/* The bytes allocated on disk (st_blocks * 512, as the build sandbox
 * counts them) beneath STATE/sub/name, walked like rmtree_under: no
 * symlink followed, no mount crossed, 256 levels at most.  0 if it does
 * not exist; an entry that cannot be read counts as empty. */
long long du_under(const char *state_dir, const char *sub, const char *name);

#endif
