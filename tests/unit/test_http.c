/*
 * http.c: Date parsing, the Date header of a reply, and telling a
 * request that never left ("not sent") from one that may have arrived.
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

#include "http.h"

#define EPOCH_1994	784111777LL	/* Sun, 06 Nov 1994 08:49:37 GMT */

static void
test_http_date_parse(void **state)
{
	long long t;

	(void)state;
	/* The three forms of RFC 7231 7.1.1.1 (its own example). */
	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT",
	    &t), 0);
	assert_int_equal(t, EPOCH_1994);
	assert_int_equal(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT",
	    &t), 0);
	assert_int_equal(t, EPOCH_1994);
	assert_int_equal(http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
	assert_int_equal(t, EPOCH_1994);
	assert_int_equal(http_date_parse("Sun, 30 Aug 2015 12:36:00 GMT",
	    &t), 0);
	assert_int_equal(t, 1440938160LL);
	assert_int_equal(http_date_parse("Thu, 29 Feb 2024 23:59:59 GMT",
	    &t), 0);
	assert_int_equal(t, 1709251199LL);
	assert_int_equal(http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT",
	    &t), 0);
	assert_int_equal(t, 0);
	/* Refused: other zones, bad fields, junk, overlong. */
	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 PST",
	    &t), -1);
	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT ",
	    &t), -1);
	assert_int_equal(http_date_parse("Sun, 31 Nov 1994 08:49:37 GMT",
	    &t), -1);
	assert_int_equal(http_date_parse("Sat, 29 Feb 2025 08:49:37 GMT",
	    &t), -1);
	assert_int_equal(http_date_parse("Sun, 06 Foo 1994 08:49:37 GMT",
	    &t), -1);
	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 24:00:00 GMT",
	    &t), -1);
	assert_int_equal(http_date_parse("Sun, 6 Nov 1994 08:49:37 GMT",
	    &t), -1);
	assert_int_equal(http_date_parse("Xyz, 06 Nov 1994 08:49:37 GMT",
	    &t), -1);
	assert_int_equal(http_date_parse("Sun, 06 Nov 1969 08:49:37 GMT",
	    &t), -1);
	assert_int_equal(http_date_parse("1994-11-06T08:49:37Z", &t), -1);
	assert_int_equal(http_date_parse("", &t), -1);
	assert_int_equal(http_date_parse(NULL, &t), -1);
	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT"
	    "                                                  ", &t), -1);
}

/* A one-shot loopback HTTP server in a thread. */
struct peer {
	int		 fd;
	int		 port;
	int		 reply;		/* 0: read the request and close */
	size_t		 got;		/* request bytes read */
	pthread_t	 th;
};

static void *
peer_main(void *arg)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\n"
	    "Date: Sun, 30 Aug 2015 12:36:00 GMT\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 2\r\n\r\n{}";
	struct peer *p = arg;
	struct pollfd pfd;
	char buf[4096];
	ssize_t n;
	int c, i;

	pfd.fd = p->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1)
		return NULL;
	c = accept(p->fd, NULL, NULL);
	if (c == -1)
		return NULL;
	/* Read until the body ("{}") has arrived; bounded. */
	for (i = 0; i < 50; i++) {
		pfd.fd = c;
		if (poll(&pfd, 1, 5000) != 1)
			break;
		n = read(c, buf, sizeof(buf));
		if (n <= 0)
			break;
		p->got += (size_t)n;
		if (n >= 2 && memcmp(buf + n - 2, "{}", 2) == 0)
			break;
	}
	if (p->reply)
		(void)write(c, resp, sizeof(resp) - 1);
	(void)close(c);
	return NULL;
}

static void
peer_start(struct peer *p, int reply)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(p, 0, sizeof(*p));
	p->reply = reply;
	p->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p->fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(p->fd, (struct sockaddr *)&a, &alen),
	    0);
	p->port = ntohs(a.sin_port);
	assert_int_equal(listen(p->fd, 1), 0);
	assert_int_equal(pthread_create(&p->th, NULL, peer_main, p), 0);
}

static void
peer_stop(struct peer *p)
{
	(void)pthread_join(p->th, NULL);
	(void)close(p->fd);
}

static int
post(struct http_response *resp, int port)
{
	struct http_header h[1] = { { "Content-Type", "application/json" } };
	struct http_request req;
	char url[64];

	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	req.method = "POST";
	req.url = url;
	req.headers = h;
	req.nheaders = 1;
	req.body = "{}";
	req.bodylen = 2;
	return http_send(resp, &req);
}

static void
test_http_not_sent(void **state)
{
	struct http_response resp;
	struct http_apierr err;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd, port;

	(void)state;
	/* A port nobody listens on: bind, read the port, close. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	(void)close(fd);
	assert_int_equal(post(&resp, port), -1);
	assert_true(resp.not_sent);
	memset(&err, 0, sizeof(err));
	http_apierr_transport(&err, &resp);
	assert_string_equal(err.code, "Transport");
	assert_true(err.not_sent);
	assert_true(err.retryable);
	http_apierr_cleanup(&err);
	http_response_cleanup(&resp);
}

static void
test_http_in_doubt(void **state)
{
	struct http_response resp;
	struct http_apierr err;
	struct peer p;

	(void)state;
	/* The peer reads the whole request, then closes: no reply. */
	peer_start(&p, 0);
	assert_int_equal(post(&resp, p.port), -1);
	peer_stop(&p);
	assert_true(p.got > 0);
	assert_false(resp.not_sent);
	memset(&err, 0, sizeof(err));
	http_apierr_transport(&err, &resp);
	assert_false(err.not_sent);
	assert_true(err.retryable);
	http_apierr_cleanup(&err);
	http_response_cleanup(&resp);
}

static void
test_http_reply_date(void **state)
{
	struct http_response resp;
	struct peer p;

	(void)state;
	peer_start(&p, 1);
	assert_int_equal(post(&resp, p.port), 0);
	peer_stop(&p);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "{}");
	assert_int_equal(resp.date, 1440938160LL);
	assert_false(resp.not_sent);
	http_response_cleanup(&resp);
}

static void
test_http_bad_url_not_sent(void **state)
{
	struct http_response resp;
	struct http_request req = { "POST", "http://example.com/", NULL, 0,
	    "", 0 };

	(void)state;
	assert_int_equal(http_send(&resp, &req), -1);
	assert_true(resp.not_sent);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_date_parse),
		cmocka_unit_test(test_http_not_sent),
		cmocka_unit_test(test_http_in_doubt),
		cmocka_unit_test(test_http_reply_date),
		cmocka_unit_test(test_http_bad_url_not_sent),
	};
	int rc;

	if (http_global_init() == -1)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	http_global_cleanup();
	return rc;
}
