/* The API of a user's own API tokens: GET /api/v1/tokens lists them
 * (never their values), DELETE /api/v1/tokens/ID revokes one.
 * (api_tokens.c) */
#ifndef LEFT4ME_WEB_API_TOKENS_H
#define LEFT4ME_WEB_API_TOKENS_H

#include "web.h"

int api_tokens_list(struct req *r);
int api_token_revoke(struct req *r);

#endif
