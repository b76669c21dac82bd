/* left4mectl user add/passwd/list/disable/enable, token create/list/revoke. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "args.h"
#include "auth.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "db.h"
#include "db_user.h"
#include "log.h"
#include "timeutil.h"
#include "validate.h"

/* Read one password line from in into buf (wiped by the caller). */
static int read_password(FILE *in, char *buf, size_t size)
{
	size_t len;
	int c;

	if (!fgets(buf, (int)size, in)) {
		log_err("no password on standard input");
		return -1;
	}
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n') {
		buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
	} else if (len == size - 1) {
		while ((c = fgetc(in)) != EOF && c != '\n')
			;
		log_err("password is longer than %d bytes", PASSWORD_MAX);
		return -1;
	}
	if (!valid_password(buf)) {
		log_err("password must be %d to %d bytes", PASSWORD_MIN, PASSWORD_MAX);
		return -1;
	}
	return 0;
}

static int hash_from_stdin(struct ctl *ctl, char hash[AUTH_HASH_MAX])
{
	char pw[PASSWORD_MAX + 2];
	int rc = 0;

	if (read_password(ctl->in, pw, sizeof(pw)) < 0)
		rc = EX_DATAERR;
	else if (auth_hash_password(pw, hash) < 0) {
		log_err("cannot hash the password");
		rc = EX_SOFTWARE;
	}
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

static int check_name(const char *name)
{
	if (!valid_username(name)) {
		log_err("invalid user name '%.64s' (want [a-z0-9][a-z0-9._-]{0,31})", name);
		return EX_USAGE;
	}
	return 0;
}

int cmd_user_add(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag flags[] = {{"--admin"}, {"--password-stdin"}};
	char hash[AUTH_HASH_MAX];
	const char *name;
	int64_t id;
	int rc;

	if (args_scan(argc, argv, flags, 2, &name, 1) < 0)
		return EX_USAGE;
	if ((rc = check_name(name)) != 0)
		return rc;
	if (!flags[1].seen) {
		log_err("user add: give the password on standard input with --password-stdin");
		return EX_USAGE;
	}
	if ((rc = hash_from_stdin(ctl, hash)) != 0)
		return rc;
	rc = db_user_add(ctl->db, name, hash, flags[0].seen, &id);
	explicit_bzero(hash, sizeof(hash));
	if (rc == DB_EXISTS) {
		log_err("user '%s' already exists", name);
		return EX_DATAERR;
	}
	if (rc != DB_OK) {
		log_err("cannot add user '%s'", name);
		return EX_SOFTWARE;
	}
	db_audit(ctl->db, 0, "cli", "user_add", name, flags[0].seen ? "admin" : "user");
	fprintf(ctl->out, "added %s '%s' (id %lld)\n", flags[0].seen ? "admin" : "user", name,
		(long long)id);
	return 0;
}

/* Look up an existing user by a validated name. */
static int find_user(struct ctl *ctl, const char *name, struct user *u)
{
	int rc = check_name(name);

	if (rc != 0)
		return rc;
	rc = db_user_get_by_name(ctl->db, name, u);
	if (rc == DB_NOTFOUND) {
		log_err("no user named '%s'", name);
		return EX_NOUSER;
	}
	if (rc != DB_OK) {
		log_err("cannot read user '%s'", name);
		return EX_SOFTWARE;
	}
	return 0;
}

int cmd_user_passwd(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag flags[] = {{"--password-stdin"}};
	char hash[AUTH_HASH_MAX];
	struct user u = {0};
	const char *name;
	int rc;

	if (args_scan(argc, argv, flags, 1, &name, 1) < 0)
		return EX_USAGE;
	if (!flags[0].seen) {
		log_err("user passwd: give the password on standard input with --password-stdin");
		return EX_USAGE;
	}
	if ((rc = find_user(ctl, name, &u)) != 0)
		return rc;
	if ((rc = hash_from_stdin(ctl, hash)) != 0)
		goto out;
	rc = db_user_set_password(ctl->db, u.id, hash);
	explicit_bzero(hash, sizeof(hash));
	if (rc != DB_OK) {
		log_err("cannot set the password of '%s'", name);
		rc = EX_SOFTWARE;
		goto out;
	}
	db_audit(ctl->db, 0, "cli", "user_password", name, "");
	fprintf(ctl->out, "password of '%s' changed; their sessions were ended\n", name);
out:
	user_fini(&u);
	return rc;
}

static int set_disabled(struct ctl *ctl, int argc, char **argv, bool disabled)
{
	struct user u = {0};
	const char *name;
	int rc;

	if (args_scan(argc, argv, NULL, 0, &name, 1) < 0)
		return EX_USAGE;
	if ((rc = find_user(ctl, name, &u)) != 0)
		return rc;
	if (db_user_set_disabled(ctl->db, u.id, disabled) != DB_OK) {
		log_err("cannot change user '%s'", name);
		rc = EX_SOFTWARE;
	} else {
		db_audit(ctl->db, 0, "cli", disabled ? "user_disable" : "user_enable", name, "");
		fprintf(ctl->out, "user '%s' %s\n", name, disabled ? "disabled" : "enabled");
	}
	user_fini(&u);
	return rc;
}

int cmd_user_disable(struct ctl *ctl, int argc, char **argv)
{
	return set_disabled(ctl, argc, argv, true);
}

int cmd_user_enable(struct ctl *ctl, int argc, char **argv)
{
	return set_disabled(ctl, argc, argv, false);
}

int cmd_user_list(struct ctl *ctl, int argc, char **argv)
{
	struct user *users;
	size_t n, i;

	if (args_scan(argc, argv, NULL, 0, NULL, 0) < 0)
		return EX_USAGE;
	if (db_user_list(ctl->db, &users, &n) != DB_OK) {
		log_err("cannot list users");
		return EX_SOFTWARE;
	}
	fprintf(ctl->out, "%-32s %-5s %-8s %s\n", "NAME", "ROLE", "STATE", "CREATED");
	for (i = 0; i < n; i++) {
		char when[32];

		fprintf(ctl->out, "%-32s %-5s %-8s %s\n", users[i].name,
			users[i].admin ? "admin" : "user",
			users[i].disabled ? "disabled" : "active",
			time_format_utc(users[i].created_at, when, sizeof(when)));
	}
	user_list_free(users, n);
	return 0;
}

int cmd_token_create(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag flags[] = {{"--label", true}};
	char token[AUTH_API_TOKEN_LEN + 1], hash[AUTH_SHA256_HEX + 1];
	const char *label = "left4mectl";
	struct user u = {0};
	const char *name;
	int rc;

	if (args_scan(argc, argv, flags, 1, &name, 1) < 0)
		return EX_USAGE;
	if (flags[0].seen) {
		label = flags[0].value;
		if (!valid_display_name(label)) {
			log_err("token create: invalid label (1 to 64 printable characters)");
			return EX_USAGE;
		}
	}
	if ((rc = find_user(ctl, name, &u)) != 0)
		return rc;
	if (u.disabled) {
		log_err("user '%s' is disabled", name);
		rc = EX_DATAERR;
		goto out;
	}
	if (auth_new_api_token(token) < 0) {
		log_err("cannot read random bytes");
		rc = EX_OSERR;
		goto out;
	}
	auth_sha256_hex(token, hash);
	if (db_token_add(ctl->db, u.id, hash, label, NULL) != DB_OK) {
		log_err("cannot store the token");
		rc = EX_SOFTWARE;
		goto out;
	}
	db_audit(ctl->db, 0, "cli", "token_create", name, label);
	/* Printed once; only its hash is kept. */
	fprintf(ctl->out, "%s\n", token);
out:
	explicit_bzero(token, sizeof(token));
	user_fini(&u);
	return rc;
}

int cmd_token_list(struct ctl *ctl, int argc, char **argv)
{
	struct api_token *list;
	struct user u = {0};
	const char *name;
	size_t n, i;
	int rc;

	if (args_scan(argc, argv, NULL, 0, &name, 1) < 0)
		return EX_USAGE;
	if ((rc = find_user(ctl, name, &u)) != 0)
		return rc;
	rc = db_token_list(ctl->db, u.id, &list, &n);
	user_fini(&u);
	if (rc != DB_OK) {
		log_err("cannot read the tokens");
		return EX_SOFTWARE;
	}
	fprintf(ctl->out, "%-6s %-20s %-20s %s\n", "ID", "CREATED", "LAST USED", "LABEL");
	for (i = 0; i < n; i++) {
		char made[32], used[32];

		fprintf(ctl->out, "%-6" PRId64 " %-20s %-20s %s\n", list[i].id,
			time_format_utc(list[i].created_at, made, sizeof(made)),
			list[i].last_used_at
			    ? time_format_utc(list[i].last_used_at, used, sizeof(used))
			    : "never",
			list[i].label);
	}
	api_token_list_free(list, n);
	return 0;
}

int cmd_token_revoke(struct ctl *ctl, int argc, char **argv)
{
	const char *pos[2];
	struct user u = {0};
	int64_t id;
	int rc;

	if (args_scan(argc, argv, NULL, 0, pos, 2) < 0)
		return EX_USAGE;
	if (!valid_id(pos[1], &id)) {
		log_err("token revoke: '%s' is not a token id (see token list %s)", pos[1], pos[0]);
		return EX_USAGE;
	}
	if ((rc = find_user(ctl, pos[0], &u)) != 0)
		return rc;
	rc = db_token_revoke(ctl->db, u.id, id);
	if (rc == DB_NOTFOUND) {
		log_err("user '%s' has no token %s", pos[0], pos[1]);
		rc = EX_DATAERR;
	} else if (rc != DB_OK) {
		log_err("cannot revoke the token");
		rc = EX_SOFTWARE;
	} else {
		db_audit(ctl->db, 0, "cli", "token_revoke", pos[0], pos[1]);
		fprintf(ctl->out, "token %s of '%s' revoked\n", pos[1], pos[0]);
	}
	user_fini(&u);
	return rc;
}
