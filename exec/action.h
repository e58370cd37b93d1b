#ifndef F2O_ACTION_H
#define F2O_ACTION_H
/*
 * The actions f2o-exec sends, as a table (action.c): per plan action its
 * API family, operation, Spot method and path, whether a lost reply may
 * be resent, whether it creates (look it up when in doubt) and the error
 * codes meaning "already done"; and the handlers a few actions need
 * (Authorize* rule by rule, CreateService while the name is DRAINING).
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "ctx.h"
#include "http.h"
#include "plan.h"

/* How f2o-exec sends one action. */
struct run_action {
	const char	*action;	/* "ecs:CreateService" */
	enum run_api	 api;
	const char	*op;		/* operation name */
	const char	*method;	/* Spot: HTTP method */
	const char	*path;		/* Spot: path (prefix when id_member) */
	const char	*id_member;	/* Spot: request member for the path */
	bool		 idempotent;	/* a lost reply may be resent */
	bool		 create;	/* in doubt: look the resource up */
	const char	*gone[4];	/* error codes meaning "already done" */
	const char	*query;		/* Spot: a boolean request member sent
					   as a query parameter, or NULL */
};

/* Borrowed action description, or NULL when not supported. */
const struct run_action *run_action_find(const char *action);
/* Split "svc:Op" into a new svc string and a borrowed op; 0 or -1. */
int	action_split(const char *action, char **svc, const char **op);
/* Whether code is one of act's "already done" codes. */
bool	action_gone(const struct run_action *act, const char *code);
/*
 * The request path of act for req (the id member appended when there is
 * one, then "?QUERY=true|false" when req has act's query member, e.g.
 * DeleteOceanLaunchSpec's deleteContainerInstances): 0 with *path (NULL when act has none; free with free()), or -1
 * (logged) when the id is not valid.
 */
int	action_path(const struct run_action *act, const cJSON *req,
	    const char *what, char **path);
/*
 * Split an Authorize* request into one request per rule (each permission
 * times each of its ranges, prefix lists and group pairs). Returns an
 * array of requests (free with cJSON_Delete).
 */
cJSON	*action_split_rules(const cJSON *req);
/* InvalidPermission.Duplicate on a batch: send rule by rule; 0 or -1. */
int	action_rules_one_by_one(struct run_ctx *, const struct plan_step *,
	    const struct run_action *act, const cJSON *req,
	    struct http_apierr *err);
/*
 * Is the name of a CreateService request held by a service that is still
 * DRAINING (deleted, not yet INACTIVE)? 1 yes, 0 no, -1 look-up failed.
 */
int	action_service_draining(struct run_ctx *, const cJSON *req);

#endif
