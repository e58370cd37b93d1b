#ifndef F2O_CONN_H
#define F2O_CONN_H
/*
 * Where and as whom one API call is sent: the endpoint, the region and
 * signing name (AWS) and the credentials, all borrowed from the run
 * context. The API clients (ecs.c, ec2.c, spot.c) take it in their
 * *_send functions, the API table (api.c) names those functions, and the
 * call layer (call.c) fills it in; it depends on nothing of the runner.
 */
struct creds;
struct spot_creds;

struct conn {
	const char		*url;		/* endpoint or base URL */
	const char		*region;	/* AWS region */
	const char		*service;	/* SigV4 name, or NULL */
	const struct creds	*creds;		/* AWS, or NULL */
	const struct spot_creds	*spot;		/* Spot, or NULL */
};

#endif
