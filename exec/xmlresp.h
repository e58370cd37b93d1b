#ifndef F2O_XMLRESP_H
#define F2O_XMLRESP_H
/*
 * EC2 Query XML responses (the only libxml2 user). Parsed from memory
 * with XML_PARSE_NONET, no entity substitution, no DTD loading; any
 * document with a DOCTYPE is rejected; size, depth and node count are
 * bounded. Pure: bytes in, cJSON / strings out.
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#define XMLRESP_MAX_SIZE	(16L * 1024 * 1024)	/* bytes */
#define XMLRESP_MAX_DEPTH	32	/* element nesting */
#define XMLRESP_MAX_NODES	200000	/* elements in one document */

struct xmlresp_error {
	char	*code;		/* "InvalidGroup.Duplicate" */
	char	*message;	/* or NULL */
	char	*request_id;	/* RequestID / RequestId, or NULL */
};

/*
 * Convert a success response (<OpResponse>) to JSON using the element
 * local names: leaf elements become strings, an element whose children
 * are all <item> becomes an array, empty list wrappers (names ending in
 * "Set", or known EC2 list names) become [], other elements objects. The
 * <requestId> child is left out and returned in *request_id when that is
 * not NULL (free with free()). Free *out with cJSON_Delete. Returns 0,
 * or -1 (logged with what).
 */
int	xmlresp_parse(cJSON **out, char **request_id, const char *what,
	    const char *buf, size_t len);
/*
 * Parse an error response (<Response><Errors><Error><Code>...). Returns
 * 0 and fills out (release with xmlresp_error_cleanup), or -1 (logged).
 */
int	xmlresp_error_parse(struct xmlresp_error *out, const char *what,
	    const char *buf, size_t len);
void	xmlresp_error_cleanup(struct xmlresp_error *);	/* NULL-safe */

#endif
