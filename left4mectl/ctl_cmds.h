/* The left4mectl commands.  Each gets argv from its verb on (argv[0] is
 * the verb) and returns an exit code. */
#ifndef LEFT4MECTL_CTL_CMDS_H
#define LEFT4MECTL_CTL_CMDS_H

#include <stdbool.h>
#include <stdint.h>

struct ctl;

int cmd_db_migrate(struct ctl *ctl, int argc, char **argv);
int cmd_config_check(struct ctl *ctl, int argc, char **argv);
int cmd_user_add(struct ctl *ctl, int argc, char **argv);
int cmd_user_passwd(struct ctl *ctl, int argc, char **argv);
int cmd_user_list(struct ctl *ctl, int argc, char **argv);
int cmd_user_disable(struct ctl *ctl, int argc, char **argv);
int cmd_user_enable(struct ctl *ctl, int argc, char **argv);
int cmd_token_create(struct ctl *ctl, int argc, char **argv);
int cmd_token_list(struct ctl *ctl, int argc, char **argv);
int cmd_token_revoke(struct ctl *ctl, int argc, char **argv);
int cmd_server_list(struct ctl *ctl, int argc, char **argv);
int cmd_server_job(struct ctl *ctl, int argc, char **argv);
int cmd_server_console(struct ctl *ctl, int argc, char **argv);
int cmd_server_set(struct ctl *ctl, int argc, char **argv);
int cmd_blueprint_list(struct ctl *ctl, int argc, char **argv);
int cmd_blueprint_set(struct ctl *ctl, int argc, char **argv);
int cmd_server_schedule(struct ctl *ctl, int argc, char **argv);
int cmd_server_rcon(struct ctl *ctl, int argc, char **argv);
int cmd_job_list(struct ctl *ctl, int argc, char **argv);
int cmd_job_show(struct ctl *ctl, int argc, char **argv);
int cmd_job_wait(struct ctl *ctl, int argc, char **argv);
int cmd_job_tail(struct ctl *ctl, int argc, char **argv);
int cmd_backup_create(struct ctl *ctl, int argc, char **argv);
int cmd_backup_list(struct ctl *ctl, int argc, char **argv);
int cmd_backup_check(struct ctl *ctl, int argc, char **argv);
int cmd_backup_restore(struct ctl *ctl, int argc, char **argv);
int cmd_audit(struct ctl *ctl, int argc, char **argv);
int cmd_overlay_workshop(struct ctl *ctl, int argc, char **argv);

/* Follow job id until it ends (cmd_job.c); print its log when show_log.
 * 0 succeeded, CTL_JOB_FAILED failed or cancelled, CTL_TIMEOUT. */
int ctl_follow_job(struct ctl *ctl, int64_t id, bool show_log, int timeout_s);

#endif
