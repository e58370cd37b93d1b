/*
 * run_call over real loopback sockets: a request that was never sent is
 * retried plainly (not in doubt); one that reached a server that then
 * closed without replying is in doubt (a create is not resent blindly).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call.h"
#include "ctx.h"
#include "http.h"
#include "run.h"
#include "xalloc.h"

/* Accept one connection, read the request, close without a reply. */
struct sink {
	int		 fd;
	int		 port;
	size_t		 got;
	pthread_t	 th;
};

static void *
sink_main(void *arg)
{
	struct sink *s = arg;
	struct pollfd pfd;
	char buf[8192];
	ssize_t n;
	int c, i;

	pfd.fd = s->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1)
		return NULL;
	c = accept(s->fd, NULL, NULL);
	if (c == -1)
		return NULL;
	for (i = 0; i < 50; i++) {
		pfd.fd = c;
		if (poll(&pfd, 1, 5000) != 1)
			break;
		n = read(c, buf, sizeof(buf));
		if (n <= 0)
			break;
		s->got += (size_t)n;
		if (buf[n - 1] == '}')
			break;
	}
	(void)close(c);
	return NULL;
}

static int
loopback_socket(int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void
ctx_setup(struct run_ctx *ctx, struct run_opts *opts, int port)
{
	int i;

	memset(ctx, 0, sizeof(*ctx));
	memset(opts, 0, sizeof(*opts));
	opts->max_attempts = 3;
	assert_int_equal(pthread_mutex_init(&ctx->mu, NULL), 0);
	ctx->mu_ok = true;
	for (i = 0; i < RUN_API__MAX; i++)
		assert_int_equal(ratelimit_init(&ctx->buckets[i], 1000.0, 100,
		    NULL, NULL), 0);
	backoff_init(&ctx->backoff, 3, 42);
	ctx->backoff.base_ms = 1;	/* keep the test fast */
	ctx->backoff.cap_ms = 5;
	ctx->opts = opts;
	ctx->region = "us-east-1";
	ctx->url[RUN_API_ECS] = xasprintf("http://127.0.0.1:%d/", port);
	ctx->url[RUN_API_EC2] = xstrdup(ctx->url[RUN_API_ECS]);
	ctx->url[RUN_API_SPOT] = xstrdup(ctx->url[RUN_API_ECS]);
	ctx->outputs = cJSON_CreateObject();
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	    1);
	unsetenv("AWS_SESSION_TOKEN");
}

static cJSON *
create_request(void)
{
	cJSON *req = cJSON_CreateObject();

	cJSON_AddStringToObject(req, "cluster", "shop");
	cJSON_AddStringToObject(req, "serviceName", "web");
	return req;
}

static void
test_runnet_not_sent_retried(void **state)
{
	struct run_ctx ctx;
	struct run_opts opts;
	struct http_apierr err;
	cJSON *req = create_request(), *result = NULL;
	bool indoubt = true;
	int fd, port;

	(void)state;
	fd = loopback_socket(&port);
	(void)close(fd);		/* nobody listens there now */
	ctx_setup(&ctx, &opts, port);
	memset(&err, 0, sizeof(err));
	/* A create (not idempotent): still retried, never in doubt. */
	assert_int_equal(run_call(&ctx, RUN_API_ECS, "CreateService", "POST",
	    NULL, req, false, &result, &err, &indoubt), -1);
	assert_false(indoubt);
	assert_string_equal(err.code, "Transport");
	assert_true(err.not_sent);
	assert_true(err.retryable);
	assert_int_equal(ctx.stats.requests, 3);
	assert_int_equal(ctx.stats.retries, 2);
	assert_int_equal(ctx.stats.indoubt, 0);
	assert_null(result);
	http_apierr_cleanup(&err);
	cJSON_Delete(req);
	run_cleanup(&ctx);
}

static void
test_runnet_sent_in_doubt(void **state)
{
	struct run_ctx ctx;
	struct run_opts opts;
	struct http_apierr err;
	struct sink s;
	cJSON *req = create_request(), *result = NULL;
	bool indoubt = false;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.fd = loopback_socket(&s.port);
	assert_int_equal(listen(s.fd, 1), 0);
	assert_int_equal(pthread_create(&s.th, NULL, sink_main, &s), 0);
	ctx_setup(&ctx, &opts, s.port);
	memset(&err, 0, sizeof(err));
	assert_int_equal(run_call(&ctx, RUN_API_ECS, "CreateService", "POST",
	    NULL, req, false, &result, &err, &indoubt), -1);
	(void)pthread_join(s.th, NULL);
	(void)close(s.fd);
	assert_true(s.got > 0);
	assert_true(indoubt);
	assert_false(err.not_sent);
	assert_int_equal(ctx.stats.requests, 1);
	assert_int_equal(ctx.stats.indoubt, 1);
	assert_int_equal(ctx.stats.retries, 0);
	http_apierr_cleanup(&err);
	cJSON_Delete(req);
	run_cleanup(&ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runnet_not_sent_retried),
		cmocka_unit_test(test_runnet_sent_in_doubt),
	};
	int rc;

	if (http_global_init() == -1)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	http_global_cleanup();
	return rc;
}
