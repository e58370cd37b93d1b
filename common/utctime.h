#ifndef F2O_UTCTIME_H
#define F2O_UTCTIME_H
/*
 * Calendar fields (UTC) to seconds since 1970, shared by the parsers of
 * ISO 8601 times (credential expirations, export timestamps).
 */
#include <time.h>

/*
 * y-mo-d h:mi:s in UTC (year 1970..9999, second up to 60) into *out.
 * Returns 0, or -1 when a field is out of range.
 */
int	utctime_make(int y, int mo, int d, int h, int mi, int s, time_t *out);
/*
 * "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|+HHMM]" (a space for the T, no zone
 * = UTC), as the AWS CLI prints timestamps, into *out (seconds since 1970,
 * the fraction kept). Returns 0, or -1 when s is not such a time.
 */
int	utctime_iso(const char *s, double *out);

#endif
