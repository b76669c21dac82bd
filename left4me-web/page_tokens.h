/* A user's API tokens: the list (label, created, last used) with a revoke
 * button each, and the revoke action. (page_tokens.c) */
#ifndef LEFT4ME_WEB_PAGE_TOKENS_H
#define LEFT4ME_WEB_PAGE_TOKENS_H

#include "web.h"

int page_tokens(struct req *r);
int page_token_revoke(struct req *r);

#endif
