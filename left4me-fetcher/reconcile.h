/* The addons symlinks of a global overlay, reconciled against its cache:
 * SOURCE/overlay/left4dead2/addons/NAME.vpk -> ABS_CACHE/NAME.vpk for
 * every NAME.vpk file in the cache.  Targets are absolute: the overlay dir
 * is an overlayfs lowerdir, and a relative target would be resolved inside
 * the merged tree, where the cache is not.  A symlink is ours when its
 * target is ABS_CACHE/ plus one path component; ours that name no cached
 * vpk (or the wrong one) are removed, missing ones added.  Foreign
 * symlinks and regular files are never touched (a foreign entry that
 * takes a cached vpk's name is counted as a conflict). */
#ifndef LEFT4ME_FETCHER_RECONCILE_H
#define LEFT4ME_FETCHER_RECONCILE_H

#include <stddef.h>

struct reconcile_stats {
	size_t cached; /* vpks in the cache */
	size_t added, removed, kept;
	size_t foreign;	  /* entries that are not our symlinks */
	size_t conflicts; /* cached vpks whose name a foreign entry holds */
};

/* cache_dir must be absolute.  0, or -1 with one line in err. */
int reconcile_links(const char *cache_dir, const char *addons_dir, struct reconcile_stats *st,
		    char *err, size_t errlen);

#endif
