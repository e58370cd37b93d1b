/*
 * UTC calendar fields to time_t (timegm), with the range checks every
 * ISO 8601 parser of the project needs.
 */
#include <string.h>

#include "utctime.h"

int
utctime_make(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
	struct tm tm;
	time_t t;

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

/* Whole digits of s[0..n), or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|+HHMM]" (a space for the T, no zone
 * = UTC), as the AWS CLI prints timestamps, to seconds since the epoch.
 */
int
utctime_iso(const char *s, double *out)
{
	double frac = 0, scale = 0.1;
	int y, mo, d, h, mi, se, off = 0;
	size_t len = strlen(s);
	time_t t;

	if (len < 19 || len > 40 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return -1;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	s += 19;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			frac += (*s - '0') * scale;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1, oh = digits(s + 1, 2), om;

		/* digits() stops at the NUL: never step past it. */
		if (oh < 0 || oh > 23)
			return -1;
		s += 3;
		if (*s == ':')
			s++;
		om = digits(s, 2);
		if (om < 0 || om > 59)
			return -1;
		s += 2;
		off = sign * (oh * 3600 + om * 60);
	}
	if (*s != '\0')
		return -1;
	if (utctime_make(y, mo, d, h, mi, se, &t) == -1)
		return -1;
	*out = (double)t - off + frac;
	return 0;
}
