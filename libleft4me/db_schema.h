/* The numbered migrations of the schema; see db_schema.c. */
#ifndef LEFT4ME_DB_SCHEMA_H
#define LEFT4ME_DB_SCHEMA_H

#include <stddef.h>

struct db_migration {
	int version;	     /* user_version after this migration */
	const char *summary; /* one line for `left4mectl db migrate` */
	const char *sql;
};

extern const struct db_migration db_migrations[];
extern const size_t db_n_migrations;

/* The schema version this build expects. */
#define DB_SCHEMA_VERSION 9

#endif
