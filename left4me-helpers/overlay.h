/* left4me-overlay's work: mount and unmount runtime/NAME/merged. */
#ifndef LEFT4ME_HELPERS_OVERLAY_H
#define LEFT4ME_HELPERS_OVERLAY_H

/* Both return a sysexits code (EX_OK on success, also when there was
 * nothing to do) after printing at most one line on stderr. */
int overlay_mount(const char *name);
int overlay_umount(const char *name);

#endif
