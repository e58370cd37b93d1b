/*
 * EC2 XML responses to JSON, and the EC2 error envelope. See xmlresp.h.
 * Hardening as in rpki-client: parse from memory, no network, no entity
 * substitution, no DTD, reject DOCTYPE, bound everything.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "log.h"
#include "strbuf.h"
#include "xalloc.h"
#include "xmlresp.h"

/* EC2 list wrappers whose names do not end in "Set" (model locationName). */
static const char *const list_names[] = {
	"securityGroupInfo", "ipPermissions", "ipPermissionsEgress", "groups",
	"ipRanges", "ipv6Ranges", "prefixListIds", "securityGroupRules",
	NULL
};

struct walk {
	const char	*what;
	size_t		 nodes;
};

static const char *
lname(const xmlNode *n)
{
	return (const char *)n->name;
}

static int
is_list_name(const char *name)
{
	size_t i, len = strlen(name);

	if (len > 3 && strcmp(name + len - 3, "Set") == 0)
		return 1;
	for (i = 0; list_names[i] != NULL; i++)
		if (strcmp(name, list_names[i]) == 0)
			return 1;
	return 0;
}

static xmlDoc *
doc_read(const char *what, const char *buf, size_t len)
{
	xmlDoc *doc;
	const char *p;

	if (len > (size_t)XMLRESP_MAX_SIZE) {
		log_errx("%s: XML response larger than %ld bytes", what,
		    XMLRESP_MAX_SIZE);
		return NULL;
	}
	/* Refuse DTDs before libxml2 sees them. */
	for (p = buf; p != NULL && (size_t)(p - buf) < len; p++) {
		p = memchr(p, '<', len - (size_t)(p - buf));
		if (p == NULL)
			break;
		if (len - (size_t)(p - buf) >= 2 && p[1] == '!' &&
		    (len - (size_t)(p - buf) < 4 || memcmp(p, "<!--", 4) !=
		    0) && (len - (size_t)(p - buf) < 9 ||
		    memcmp(p, "<![CDATA[", 9) != 0)) {
			log_errx("%s: XML response with a DOCTYPE or "
			    "declaration refused", what);
			return NULL;
		}
	}
	doc = xmlReadMemory(buf, (int)len, "response.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_NOCDATA);
	if (doc == NULL) {
		log_errx("%s: XML response is not well-formed", what);
		return NULL;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		log_errx("%s: XML response with a DOCTYPE refused", what);
		xmlFreeDoc(doc);
		return NULL;
	}
	if (xmlDocGetRootElement(doc) == NULL) {
		log_errx("%s: XML response has no root element", what);
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* Concatenated text of n; NULL when n has element children. */
static char *
node_text(const xmlNode *n, int *has_elems)
{
	const xmlNode *c;
	struct strbuf sb;

	*has_elems = 0;
	strbuf_init(&sb, XMLRESP_MAX_SIZE);
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			*has_elems = 1;
		else if ((c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) && c->content != NULL)
			(void)strbuf_puts(&sb, (const char *)c->content);
		else if (c->type == XML_ENTITY_REF_NODE) {
			/* Never substituted; should not happen without DTD. */
			*has_elems = -1;
		}
	}
	return strbuf_take(&sb, NULL);
}

static cJSON *convert(struct walk *, const xmlNode *, int depth);

static cJSON *
convert_children(struct walk *w, const xmlNode *n, int depth, int top)
{
	const xmlNode *c;
	cJSON *obj = NULL, *v;
	int all_items = 1, any = 0;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		any = 1;
		if (strcmp(lname(c), "item") != 0)
			all_items = 0;
	}
	if (any && all_items && !top) {
		obj = cJSON_CreateArray();
		for (c = n->children; c != NULL; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			v = convert(w, c, depth + 1);
			if (v == NULL)
				goto fail;
			cJSON_AddItemToArray(obj, v);
		}
		return obj;
	}
	obj = cJSON_CreateObject();
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (top && (strcmp(lname(c), "requestId") == 0 ||
		    strcmp(lname(c), "RequestId") == 0))
			continue;
		v = convert(w, c, depth + 1);
		if (v == NULL)
			goto fail;
		/* A repeated name: the last one wins, like a JSON object. */
		if (cJSON_GetObjectItemCaseSensitive(obj, lname(c)) != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(obj,
			    lname(c));
		cJSON_AddItemToObject(obj, lname(c), v);
	}
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}

static cJSON *
convert(struct walk *w, const xmlNode *n, int depth)
{
	char *text;
	int elems;
	cJSON *v;

	if (depth > XMLRESP_MAX_DEPTH) {
		log_errx("%s: XML response nested deeper than %d", w->what,
		    XMLRESP_MAX_DEPTH);
		return NULL;
	}
	if (++w->nodes > XMLRESP_MAX_NODES) {
		log_errx("%s: XML response has more than %d elements",
		    w->what, XMLRESP_MAX_NODES);
		return NULL;
	}
	text = node_text(n, &elems);
	if (elems < 0) {
		log_errx("%s: <%s>: entity reference refused", w->what,
		    lname(n));
		free(text);
		return NULL;
	}
	if (elems)
		v = convert_children(w, n, depth, 0);
	else if (text[0] == '\0' && is_list_name(lname(n)))
		v = cJSON_CreateArray();
	else
		v = cJSON_CreateString(text);
	free(text);
	return v;
}

static char *
child_text(const xmlNode *n, const char *name)
{
	const xmlNode *c;
	char *t;
	int elems;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp(lname(c), name) == 0) {
			t = node_text(c, &elems);
			if (elems != 0) {
				free(t);
				return NULL;
			}
			return t;
		}
	}
	return NULL;
}

static const xmlNode *
child_elem(const xmlNode *n, const char *name)
{
	const xmlNode *c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp(lname(c), name) == 0)
			return c;
	return NULL;
}

int
xmlresp_parse(cJSON **out, char **request_id, const char *what,
    const char *buf, size_t len)
{
	xmlDoc *doc;
	const xmlNode *root;
	struct walk w = { what, 0 };
	int rc = -1;

	*out = NULL;
	if (request_id != NULL)
		*request_id = NULL;
	doc = doc_read(what, buf, len);
	if (doc == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (strlen(lname(root)) < 9 || strcmp(lname(root) +
	    strlen(lname(root)) - 8, "Response") != 0 ||
	    strcmp(lname(root), "Response") == 0) {
		log_errx("%s: XML root <%s> is not <...Response>", what,
		    lname(root));
		goto out;
	}
	*out = convert_children(&w, root, 1, 1);
	if (*out == NULL)
		goto out;
	if (request_id != NULL) {
		*request_id = child_text(root, "requestId");
		if (*request_id == NULL)
			*request_id = child_text(root, "RequestId");
	}
	rc = 0;
out:
	xmlFreeDoc(doc);
	return rc;
}

void
xmlresp_error_cleanup(struct xmlresp_error *e)
{
	if (e == NULL)
		return;
	free(e->code);
	free(e->message);
	free(e->request_id);
	memset(e, 0, sizeof(*e));
}

int
xmlresp_error_parse(struct xmlresp_error *out, const char *what,
    const char *buf, size_t len)
{
	xmlDoc *doc;
	const xmlNode *root, *errs, *err;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	doc = doc_read(what, buf, len);
	if (doc == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (strcmp(lname(root), "Response") == 0) {
		errs = child_elem(root, "Errors");
		err = errs != NULL ? child_elem(errs, "Error") : NULL;
	} else if (strcmp(lname(root), "ErrorResponse") == 0)
		err = child_elem(root, "Error");
	else
		err = NULL;
	if (err == NULL) {
		log_errx("%s: XML error response without "
		    "<Response><Errors><Error>", what);
		goto out;
	}
	out->code = child_text(err, "Code");
	if (out->code == NULL || out->code[0] == '\0') {
		log_errx("%s: XML error response without <Code>", what);
		goto out;
	}
	out->message = child_text(err, "Message");
	out->request_id = child_text(root, "RequestID");
	if (out->request_id == NULL)
		out->request_id = child_text(root, "RequestId");
	rc = 0;
out:
	if (rc == -1)
		xmlresp_error_cleanup(out);
	xmlFreeDoc(doc);
	return rc;
}
