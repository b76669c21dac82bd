/* Idmapped mounts for the root helpers: a user namespace that carries only
 * an id mapping, and detached clones of a directory idmapped with it.
 * Used by left4me-overlay (the game's layers) and left4me-script-sandbox
 * (the build's overlay dir); each builds its own mapping. */
#ifndef LEFT4ME_HELPERS_IDMAP_H
#define LEFT4ME_HELPERS_IDMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IDMAP_MAX_LINES 4

/* One id per line.  Direction, as the kernel applies it on an idmapped
 * mount: an inode whose owner on disk is `disk` is shown to every process
 * as owned by `shown`, and what a process with fsuid `shown` creates is
 * stored as `disk` (`disk` is the userns's inside id, `shown` the
 * outside one).  An id that is in no line is shown as the overflow id
 * (65534), and the kernel refuses to write an inode it owns or to create
 * a file as it. */
struct idmap_line {
	unsigned disk, shown;
};
struct idmap {
	struct idmap_line uid[IDMAP_MAX_LINES], gid[IDMAP_MAX_LINES];
	size_t n_uid, n_gid;
};

/* Append one uid or gid line.  Returns 0, or -1 if the map is full or the
 * line overlaps an earlier one in either column (the kernel would refuse
 * the whole map). */
int idmap_add_uid(struct idmap *m, uid_t disk, uid_t shown);
int idmap_add_gid(struct idmap *m, gid_t disk, gid_t shown);

/* A user namespace with m's uid_map and gid_map (setgroups denied).  Forks
 * a child that only holds the namespace until it is opened.  Returns an fd
 * of the namespace, or -1 with errno. */
int idmap_userns(const struct idmap *m);

/* A detached clone (open_tree OPEN_TREE_CLONE, not recursive) of the
 * mount at dirfd, rooted at dirfd, with MOUNT_ATTR_IDMAP from userns plus
 * attr_set (MOUNT_ATTR_*).  dirfd must be in the caller's mount namespace.
 * Returns the clone's fd (O_CLOEXEC), or -1 with errno. */
int idmap_clone(int dirfd, int userns, uint64_t attr_set);

#endif
