/* left4mectl server rcon show|rotate NAME: a server's RCON password for
 * the operator (docs/SECURITY.md, "RCON").  show prints it (making one
 * for a server older than migration 8); rotate replaces it and writes the
 * audit row (actor "cli", detail "rotated", never the value) in the same
 * transaction, then prints the new one.  The password goes to stdout
 * only, never to stderr or a log. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "ctl_cmds.h"
#include "db.h"
#include "db_rcon.h"
#include "db_server.h"
#include "log.h"
#include "validate.h"

int cmd_server_rcon(struct ctl *ctl, int argc, char **argv)
{
	struct rcon_row rc;
	struct server srv;
	bool rotate;
	int r;

	/* argv: rcon show|rotate NAME */
	if (argc != 3 || (strcmp(argv[1], "show") != 0 && strcmp(argv[1], "rotate") != 0)) {
		log_err("server rcon: expected show|rotate NAME (see left4mectl --help)");
		return EX_USAGE;
	}
	rotate = strcmp(argv[1], "rotate") == 0;
	if (!valid_instance_name(argv[2])) {
		log_err("invalid server name '%.64s' (want [a-z0-9][a-z0-9_-]{0,63})", argv[2]);
		return EX_USAGE;
	}
	r = db_server_get(ctl->db, argv[2], &srv);
	if (r == DB_OK) {
		r = rotate ? db_rcon_rotate(ctl->db, srv.id, srv.name, 0, "cli", &rc)
			   : db_rcon_get(ctl->db, srv.id, &rc);
		server_fini(&srv);
	}
	if (r != DB_OK) {
		if (r == DB_NOTFOUND)
			log_err("no server named '%s'", argv[2]);
		else
			log_err("server %s: cannot %s its RCON password%s", argv[2],
				rotate ? "rotate" : "read",
				r == DB_BUSY ? " (the database is busy)" : "");
		return r == DB_NOTFOUND ? EX_DATAERR : r == DB_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	printf("%s\n", rc.password);
	explicit_bzero(&rc, sizeof(rc));
	if (fflush(stdout) != 0) {
		log_err("stdout: write failed");
		return EX_IOERR;
	}
	if (rotate)
		log_info("server %s: RCON password rotated; it takes effect at the server's next "
			 "start",
			 argv[2]);
	return 0;
}
