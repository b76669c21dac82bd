/* Files inside an overlay: its base directory is derived from the overlay
 * row (STATE/overlays/ID, STATE/workshop_cache/overlays/ID, or
 * STATE/global_overlay_cache/SOURCE with every path under overlay/), never from a client's name.
 * Paths pass valid_overlay_path() and are resolved beneath the base's fd one O_NOFOLLOW component
 * at a time (openat2's RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV, done in user
 * space), so neither
 * "..", an absolute path, a symlink nor a mount can leave the overlay.  One
 * exception, for the fetcher's vpk links: in a global overlay an absolute
 * link to STATE/global_overlay_cache/SOURCE/cache/REST (that same source)
 * is followed, REST resolved beneath the cache dir by the same rules; in a
 * workshop overlay (STATE/workshop_cache/overlays/ID, the fetcher's) a link
 * to STATE/workshop_cache/REST likewise.
 * Filesystem work only: state_dir is the configured state dir; nothing
 * here knows HTTP or a request. */
#ifndef LEFT4ME_WEB_FILES_H
#define LEFT4ME_WEB_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db_overlay.h"

struct dirent_info {
	char *name;
	bool is_dir, is_link;
	int64_t size;
};

/* Overlay dirs and files are shared by left4me-web (uploads, deletes),
 * the worker and the build sandbox (as left4me): group left4me (setgid
 * overlays/ passes it down) and group-writable; docs/SECURITY.md. */
#define OVERLAY_DIR_MODE  02770
#define OVERLAY_FILE_MODE 0660

/* True for the overlays the web may write: user and script-built ones
 * (never a global one, which the fetcher owns). */
bool files_overlay_writable(const struct overlay *o);
/* Open path ("" for the top) under the overlay for reading: a file or a
 * directory fd, or -1 with errno (ENOENT, EXDEV/ELOOP for an escape,
 * EINVAL for a bad path). */
int files_open(const char *state_dir, const struct overlay *o, const char *path, bool *is_dir);
/* The entries of a directory fd (consumed), sorted dirs first. */
int files_list(int dirfd, struct dirent_info **list, size_t *n);
void files_list_free(struct dirent_info *list, size_t n);
/* A file being written to path in a user or script overlay, nameless (an
 * O_TMPFILE in the target's directory) until committed: memory stays
 * bounded whatever its size, and readers see the old file or the new one.
 * files_writer_open creates the directories (OVERLAY_DIR_MODE: 0770 under
 * the process umask 0007, setgid from the parent; EPERM if the umask took
 * group write) and the file (OVERLAY_FILE_MODE).  Each returns -1 with
 * errno on failure; commit renames it over path and frees w (whatever it
 * returns); free drops an uncommitted one, leaving nothing behind. */
struct files_writer;
int files_writer_open(const char *state_dir, const struct overlay *o, const char *path,
		      struct files_writer **w);
int files_writer_write(struct files_writer *w, const void *data, size_t len);
int files_writer_commit(struct files_writer *w);
void files_writer_free(struct files_writer *w);
/* Bytes written so far. */
int64_t files_writer_size(const struct files_writer *w);
/* Write data (len bytes) to path: the writer's open, write and commit. */
int files_write(const char *state_dir, const struct overlay *o, const char *path, const char *data,
		size_t len);
/* ETags of overlay files: a quoted prefix of the SHA-256 of the content
 * ("\"" 32 hex digits "\""), so any change of the bytes changes it. */
#define FILES_ETAG_SIZE 35
void files_etag_of(const char *data, size_t len, char out[FILES_ETAG_SIZE]);
/* Read the regular file fd (not consumed; read with pread, the offset
 * stays) whole into *data (NUL-terminated, *len bytes): 0, or -1 with
 * errno (EFBIG when it holds more than max bytes). */
int files_read_fd(int fd, long long max, char **data, size_t *len);
/* The text file at path in the overlay: 0 with *data and *len, or -1 with
 * errno: ENOENT, EISDIR, EFBIG (over max bytes), EILSEQ (not valid UTF-8
 * or holds a NUL: not text), or an error of files_open. */
int files_read_text(const char *state_dir, const struct overlay *o, const char *path, long long max,
		    char **data, size_t *len);
/* True for text: valid UTF-8 without a NUL. */
bool files_is_text(const char *data, size_t len);
/* Whether the game is installed: STATE/installation/current (the
 * worker's link to the build a start picks, builds/ID) leads to a
 * regular srcds_run. */
bool files_game_installed(const char *state_dir);
/* Create the directory of a new user or script overlay
 * (STATE/overlays/ID, OVERLAY_DIR_MODE as files_write makes them), so an
 * overlay nobody wrote to yet is an empty layer; 0 if it exists already,
 * else -1 with errno. */
int files_overlay_mkdir(const char *state_dir, const struct overlay *o);
/* Remove one file (or symlink, never a directory) at path in a user or
 * script overlay.  -1 with errno (ENOENT, EISDIR, EINVAL, EXDEV/ELOOP). */
int files_delete(const char *state_dir, const struct overlay *o, const char *path);
/* Open the preview image the fetcher cached for Workshop item
 * published_id (STATE/workshop_cache/ID.preview: O_NOFOLLOW, O_NONBLOCK so
 * a FIFO planted there cannot hang the thread, a regular file only): its
 * fd, with *type the Content-Type its first bytes show, one of JPEG, PNG,
 * GIF or WebP (files_image_type), or -1 with errno (ENOENT; EPERM for
 * something not a regular file; EMEDIUMTYPE for any other content). */
int files_workshop_preview_open(const char *state_dir, int64_t published_id, const char **type);
/* The image type the first len bytes of data show: "image/jpeg",
 * "image/png", "image/gif" or "image/webp", else NULL (never SVG or
 * anything a browser might run). */
const char *files_image_type(const unsigned char *data, size_t len);

#endif
