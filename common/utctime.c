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
