/* The skeleton every left4me helper shares: the startup order of docs/STYLE.md,
 * compiled-in paths, user lookup and the one-line refusal.  Helpers run as
 * root (sudo from left4me-worker, or a unit's `+` Exec line); nothing a
 * caller controls — environment, cwd, argv[0] — changes a path here. */
#ifndef LEFT4ME_HELPER_H
#define LEFT4ME_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sysexits.h>

/* The state dir is fixed at build time (make HELPER_STATE_DIR=...); the test
 * variant is a separate build with another value and LEFT4ME_HELPER_TEST. */
#ifndef LEFT4ME_STATE_DIR
#define LEFT4ME_STATE_DIR "/var/lib/left4me"
#endif
#ifndef LEFT4ME_SYSCONF_DIR
#define LEFT4ME_SYSCONF_DIR "/etc/left4me"
#endif
/* Root-only dir (not under the left4me-writable state dir) for the
 * sandbox's staging mounts; visible to PID 1, which makes the binds. */
#ifndef LEFT4ME_STAGING_DIR
#define LEFT4ME_STAGING_DIR "/run/left4me-sandbox"
#endif
/* Where the build sandbox checks for the unified (cgroup2) hierarchy:
 * IPAddressDeny= is a cgroup BPF program that systemd silently drops on a
 * cgroup v1 or hybrid host. */
#ifndef LEFT4ME_CGROUP_DIR
#define LEFT4ME_CGROUP_DIR "/sys/fs/cgroup"
#endif
/* left4me-overlay asks systemd for the game's dynamic uid with this
 * program; the test variant is built with a stub under its test state dir
 * (it must never reach the host's systemd). */
#ifndef LEFT4ME_SYSTEMCTL
#define LEFT4ME_SYSTEMCTL "/usr/bin/systemctl"
#endif
#ifdef LEFT4ME_HELPER_TEST
#define HELPER_TEST_MODE true
#else
#define HELPER_TEST_MODE false
#endif

#define HELPER_WORKER_USER  "left4me"
#define HELPER_SANDBOX_USER "l4d2-sandbox"
#define HELPER_WEB_USER	    "left4me-web"

/* fds 0-2 open, fixed log ident, clearenv + PATH, umask 022, euid 0, exact
 * argc (counting argv[0]).  Exits with EX_NOPERM / EX_USAGE on refusal. */
void helper_start(const char *ident, int argc, int want_argc, const char *usage);

/* Print "ident: message" on stderr and exit with code (a sysexits value). */
void helper_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Open the state dir (O_PATH-free, O_DIRECTORY|O_NOFOLLOW on the last
 * component) or die with EX_OSERR. */
int helper_open_state(void);

/* Open dirfd/name as a directory without following a symlink; -1 + errno. */
int helper_open_dir(int dirfd, const char *name);

/* The path an open fd names (readlink of /proc/self/fd/N); dies on error. */
void helper_fd_path(int fd, char *out, size_t len);

/* Look a system user up by name (getpwnam); dies with EX_CONFIG if missing. */
void helper_lookup_user(const char *name, uid_t *uid, gid_t *gid);

/* Run argv (argv[0] an absolute path, no shell, the helper's clean
 * environment) with stdin and stderr on /dev/null and read its stdout into
 * out (NUL-terminated, at most outlen-1 bytes).  Kills it after timeout_ms.
 * Returns its exit status (128+N if killed by signal N), or -1 with errno
 * (ETIMEDOUT, EMSGSIZE when the output does not fit). */
int helper_run_read(const char *const argv[], char *out, size_t outlen, int timeout_ms);

/* CLOCK_MONOTONIC in milliseconds. */
long long helper_now_ms(void);

/* Test variant only: run STATE/test-hook POINT (if it exists) and wait for
 * it, so a test can change the state dir at a fixed point between a
 * helper's check and its use (a rename race, deterministically).  The
 * installed build has no hook: this compiles to nothing there. */
void helper_test_hook(const char *point);

/* Move into PID 1's mount namespace so mounts land on the host, not in the
 * caller's (sudo from a unit with PrivateTmp= has its own).  No-op in the
 * test variant, which works inside the test's private namespace. */
void helper_enter_host_mntns(void);

#endif
