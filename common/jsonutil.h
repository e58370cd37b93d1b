#ifndef F2O_JSONUTIL_H
#define F2O_JSONUTIL_H
/*
 * The one place that parses and prints JSON text, with error positions a
 * user can act on, plus typed access and JSON-path strings for messages.
 * cJSON items returned by the getters are borrowed from their parent.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define JSON_MAX_DEPTH	200	/* nesting we accept in any input */
#define JPATH_MAX	512

/*
 * Parse buf (len bytes) from file path. On error logs
 * "path: line L, column C: reason" (with a hint for trailing commas and
 * text before the JSON) and returns -1. *out is freed with cJSON_Delete().
 */
int	json_parse(cJSON **out, const char *path, const char *buf, size_t len);

/* What to do with a key that appears twice in one object. */
enum json_dup {
	JSON_DUP_ERROR = 0,	/* refuse: error per key with its path */
	JSON_DUP_LAST,		/* keep the last value (as Python's json) */
	JSON_DUP_KEEP,		/* leave them all (cJSON's own behaviour) */
	JSON_DUP_LAST_QUIET	/* as LAST, without a word: a text read
				   again that was warned about once */
};
#define JSON_MAX_DUP_REPORTS	1000	/* duplicate keys named per text */
/*
 * json_parse with a duplicate-key policy: JSON_DUP_ERROR logs
 * "path: $.a.b: key "b" appears N times in one object" per key and fails;
 * JSON_DUP_LAST warns per key and keeps the last value only. json_parse()
 * is this with JSON_DUP_ERROR.
 */
int	json_parse_dup(cJSON **out, const char *path, const char *buf,
	    size_t len, enum json_dup dup);
/*
 * The duplicate-key check alone on a parsed tree: returns the number of
 * keys found duplicated (0: none), applying dup as above.
 */
size_t	json_dedup(cJSON *root, const char *path, enum json_dup dup);
/*
 * Where the JSON value starting at buf[i] ends (the offset just past it),
 * found without parsing it: strings and nesting only, the value itself is
 * left for json_parse. 0 when it cannot be a value (unterminated, a stray
 * closing bracket, nested deeper than JSON_MAX_DEPTH). For reading a
 * large text one item at a time.
 */
size_t	json_value_end(const char *buf, size_t len, size_t i);
/*
 * The members of a large object text one at a time, each value left
 * unparsed (its extent, json_value_end): json_iter_object() at the
 * object's '{' (after spaces), then json_iter_member() until it returns
 * 0 (the object ended; it->i past its '}') or -1 (not valid JSON at
 * it->i). A member gives its key (decoded; free it) and its value's
 * bytes buf[*v, *vend).
 */
struct json_iter {
	const char *buf;
	size_t	 len;
	size_t	 i;		/* where the scan stands */
	size_t	 n;		/* members so far */
};
int	json_iter_object(struct json_iter *, const char *buf, size_t len,
	    size_t at);
int	json_iter_member(struct json_iter *, char **key, size_t *v,
	    size_t *vend);
/* Past the spaces (JSON's four) at buf[i]. */
size_t	json_skip_ws(const char *buf, size_t len, size_t i);
/* Line and column (from 1) of buf[off], for a message. */
void	json_where(const char *buf, size_t off, size_t *line, size_t *col);
/* Parse silently; for fuzzers and our own formats. NULL on error. */
cJSON	*json_parse_quiet(const char *buf, size_t len);
/*
 * Pretty text with a final newline; free with free(). The text is
 * cJSON_Print's, byte for byte (jsonprint.c).
 */
char	*json_print(const cJSON *item);
/*
 * json_print(obj) made an item at a time, for an object with one large
 * array member: obj holds that member (key, a member of obj itself) as
 * an empty array; json_stream_open() puts the text before its items on
 * sb, json_stream_item() each item (printed, then the caller may free
 * it), json_stream_close() the rest and frees js. The text is the one
 * json_print() would give with the items in the array, read with
 * strbuf_drain() (a large item goes to sb's spill file, strbuf_add_spilling).
 * -1 (logged) if obj has no such member.
 */
struct strbuf;
struct json_stream {
	struct strbuf *sb;
	char	*text;		/* json_print(obj) */
	const char *rest;	/* in text: from the array's "]" */
	size_t	 n;		/* items so far */
};
int	json_stream_open(struct json_stream *, struct strbuf *sb,
	    const cJSON *obj, const char *key);
void	json_stream_item(struct json_stream *, const cJSON *item);
void	json_stream_close(struct json_stream *);
/*
 * An object's text made a member at a time on sb, as json_print() lays it
 * out for an object nested depth levels deep (the tabs of its own key's
 * line; 0: the top): json_objw_open() puts "{", each json_objw_key() a
 * member's key, then json_objw_value() its value (or a json_objw_open()
 * at depth + 1 for an object made the same way), json_objw_close() the
 * closing "}". strbuf_add's limit applies (sb->full).
 */
struct json_objw {
	struct strbuf *sb;
	size_t	 depth;
	size_t	 n;		/* members so far */
};
void	json_objw_open(struct json_objw *, struct strbuf *sb, size_t depth);
void	json_objw_key(struct json_objw *, const char *key);
void	json_objw_value(struct json_objw *, const cJSON *item);
void	json_objw_close(struct json_objw *);
/* Compact text with keys sorted at every level; free with free(). */
char	*json_canonical(const cJSON *item);
/*
 * cJSON_PrintUnformatted's text, made faster; NULL where it gives NULL.
 * Free with free().
 */
char	*json_print_compact(const cJSON *item);
/*
 * json_print()'s text made in *buf (*cap bytes, grown as needed and kept
 * for the next call; free *buf with free()): returns *buf, its length in
 * *len.
 */
const char *json_print_into(const cJSON *item, char **buf, size_t *cap,
	    size_t *len);
/*
 * Append s as cJSON prints a string (NULL as ""), for text made without
 * a tree: 0, or -1 when sb is full (nothing appended).
 */
int	json_strbuf_str(struct strbuf *sb, const char *s);
/*
 * json_print's layout for an item nested depth levels deep (its inner
 * lines indented for that depth), without the final newline.
 */
char	*json_print_nested(const cJSON *item, size_t depth);
/* Sort object members by key, recursively, in place. */
void	json_sort_keys(cJSON *item);
const char *json_type_name(const cJSON *item);
/* null, "", {} */
bool	json_is_unset(const cJSON *item);
/* A string member, or NULL when absent or not a string. */
const char *json_str(const cJSON *obj, const char *key);
/* Integral number within [min,max] into *out; -1 when absent/invalid. */
int	json_int(const cJSON *obj, const char *key, long long min,
	    long long max, long long *out);
/* Add a string / number / bool member (obj takes a copy). */
void	json_add_str(cJSON *obj, const char *key, const char *val);
void	json_add_num(cJSON *obj, const char *key, double val);
void	json_add_bool(cJSON *obj, const char *key, bool val);
/* Detach and delete member key if present. */
void	json_del(cJSON *obj, const char *key);

/* A JSON path for messages: $.services[3].networkConfiguration */
struct jpath {
	char	buf[JPATH_MAX];
	size_t	len;
};
void	jpath_init(struct jpath *, const char *root);
/* Push returns the previous length, for jpath_pop. */
size_t	jpath_key(struct jpath *, const char *key);
size_t	jpath_index(struct jpath *, size_t i);
void	jpath_pop(struct jpath *, size_t len);

#endif
