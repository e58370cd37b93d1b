/*
 * Security groups: merge the rules of the migrated services' groups into
 * the group(s) of the Ocean instances. See sg.h and BUNDLE.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctx.h"
#include "export.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "plan.h"
#include "sg.h"
#include "xalloc.h"

#define SG_PORT_MIN	0
#define SG_PORT_MAX	65535
#define SG_ICMP_ANY	(-1)		/* ICMP type or code: all */
#define SG_ICMP_MAX	255
#define SG_PROTO_MAX	255		/* IP protocol numbers */
#define SG_V4_BITS	32
#define SG_V6_BITS	128
#define SG_V6_BYTES	16
#define SG_HTTPS	443		/* what the ECS agent needs out */

/* Protocol names and their numbers: the API takes either. */
static const struct {
	const char	*name;
	const char	*number;
} sg_protos[] = {
	{ "tcp", "6" },
	{ "udp", "17" },
	{ "icmp", "1" },
	{ "icmpv6", "58" },
	{ NULL, NULL }
};

/* The IpPermission source lists, by kind. */
static const struct {
	enum sg_kind	 kind;
	const char	*list;		/* IpPermission member */
	const char	*key;		/* member of each entry */
} sg_lists[] = {
	{ SG_KIND_CIDR4, "IpRanges", "CidrIp" },
	{ SG_KIND_CIDR6, "Ipv6Ranges", "CidrIpv6" },
	{ SG_KIND_PREFIX_LIST, "PrefixListIds", "PrefixListId" },
	{ SG_KIND_GROUP, "UserIdGroupPairs", "GroupId" },
	{ 0, NULL, NULL }
};

const char *
sg_proto_name(const char *proto, char buf[8])
{
	char *end;
	long n;
	size_t i;

	if (proto == NULL || proto[0] == '\0')
		return NULL;
	for (i = 0; sg_protos[i].name != NULL; i++)
		if (strcasecmp(proto, sg_protos[i].name) == 0 ||
		    strcmp(proto, sg_protos[i].number) == 0)
			return sg_protos[i].name;
	if (strcmp(proto, SG_PROTO_ALL) == 0)
		return SG_PROTO_ALL;
	errno = 0;
	n = strtol(proto, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > SG_PROTO_MAX ||
	    !(proto[0] >= '0' && proto[0] <= '9'))
		return NULL;
	(void)snprintf(buf, 8, "%ld", n);
	return buf;
}

static bool
proto_has_ports(const char *p)
{
	return strcmp(p, "tcp") == 0 || strcmp(p, "udp") == 0;
}

static bool
proto_is_icmp(const char *p)
{
	return strcmp(p, "icmp") == 0 || strcmp(p, "icmpv6") == 0;
}

/* Parse a CIDR into its network (host bits cleared) and prefix length. */
static int
cidr_parse(const char *s, bool v6, unsigned char addr[16], int *plen)
{
	char host[INET6_ADDRSTRLEN + 1], *end;
	const char *slash = strchr(s, '/');
	size_t hl;
	long n;
	int bits = v6 ? SG_V6_BITS : SG_V4_BITS, i;

	if (slash == NULL)
		return -1;
	hl = (size_t)(slash - s);
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(addr, 0, SG_V6_BYTES);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
		return -1;
	errno = 0;
	n = strtol(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == slash + 1 || n < 0 ||
	    n > bits || slash[1] < '0' || slash[1] > '9')
		return -1;
	*plen = (int)n;
	for (i = (int)n; i < bits; i++)
		addr[i / 8] &= (unsigned char)~(0x80U >> (i % 8));
	return 0;
}

static void
strv_add_sorted(char ***v, size_t *n, const char *s)
{
	size_t i, j;
	int c;

	for (i = 0; i < *n; i++) {
		c = strcmp((*v)[i], s);
		if (c == 0)
			return;
		if (c > 0)
			break;
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	for (j = *n; j > i; j--)
		(*v)[j] = (*v)[j - 1];
	(*v)[i] = xstrdup(s);
	(*n)++;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
rule_cleanup(struct sg_rule *r)
{
	free(r->proto);
	free(r->source);
	free(r->user_id);
	free(r->vpc_id);
	free(r->pcx_id);
	free(r->peering);
	strv_free(r->descs, r->ndescs);
	strv_free(r->origins, r->norigins);
	strv_free(r->refs, r->nrefs);
	free(r->where);
}

void
sg_rules_free(struct sg_rules *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_cleanup(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

static char *
opt_member(const cJSON *o, const char *key, const char *file,
    const struct jpath *jp, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v)) {
		log_errx("%s: %s.%s: must be a string, not %s", file, jp->buf,
		    key, json_type_name(v));
		*bad = 1;
		return NULL;
	}
	return xstrdup(v->valuestring);
}

/* One source entry of a permission into a new rule of rs. */
static int
source_parse(struct sg_rules *rs, const struct sg_rule *tmpl,
    enum sg_kind kind, const char *key, const cJSON *e, const char *file,
    struct jpath *jp)
{
	struct sg_rule r;
	const char *src;
	char *desc;
	int bad = 0;

	if (!cJSON_IsObject(e)) {
		log_errx("%s: %s: must be an object, not %s", file, jp->buf,
		    json_type_name(e));
		return -1;
	}
	if (rs->n >= SG_MAX_RULES) {
		log_errx("%s: %s: more than %d rules", file, jp->buf,
		    SG_MAX_RULES);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r = *tmpl;
	r.proto = r.source = r.where = NULL;
	r.kind = kind;
	r.container = -1;
	src = json_str(e, key);
	if (src == NULL || src[0] == '\0') {
		if (kind == SG_KIND_GROUP && json_str(e, "GroupName") != NULL)
			log_errx("%s: %s: group pair names group \"%s\" "
			    "without a GroupId (an EC2-Classic or default-VPC "
			    "reference by name): f2o needs group ids",
			    file, jp->buf, json_str(e, "GroupName"));
		else
			log_errx("%s: %s.%s: missing, empty or not a string",
			    file, jp->buf, key);
		return -1;
	}
	if ((kind == SG_KIND_CIDR4 || kind == SG_KIND_CIDR6) &&
	    cidr_parse(src, kind == SG_KIND_CIDR6, r.addr, &r.plen) == -1) {
		log_errx("%s: %s.%s: \"%s\" is not an IPv%c CIDR", file,
		    jp->buf, key, src, kind == SG_KIND_CIDR6 ? '6' : '4');
		return -1;
	}
	desc = opt_member(e, "Description", file, jp, &bad);
	r.proto = NULL;
	r.descs = NULL;
	r.ndescs = 0;
	r.origins = NULL;
	r.norigins = 0;
	r.refs = NULL;
	r.nrefs = 0;
	if (kind == SG_KIND_GROUP) {
		r.user_id = opt_member(e, "UserId", file, jp, &bad);
		r.vpc_id = opt_member(e, "VpcId", file, jp, &bad);
		r.pcx_id = opt_member(e, "VpcPeeringConnectionId", file, jp,
		    &bad);
		r.peering = opt_member(e, "PeeringStatus", file, jp, &bad);
	}
	if (bad) {
		free(desc);
		rule_cleanup(&r);
		return -1;
	}
	r.proto = xstrdup(tmpl->proto);
	if (kind == SG_KIND_CIDR4 || kind == SG_KIND_CIDR6) {
		/* Canonical: host bits cleared, IPv6 compressed lower case. */
		char a[INET6_ADDRSTRLEN];

		if (inet_ntop(kind == SG_KIND_CIDR6 ? AF_INET6 : AF_INET,
		    r.addr, a, sizeof(a)) == NULL) {
			log_errx("%s: %s.%s: \"%s\" cannot be normalised", file,
			    jp->buf, key, src);
			free(desc);
			rule_cleanup(&r);
			return -1;
		}
		r.source = xasprintf("%s/%d", a, r.plen);
	} else
		r.source = xstrdup(src);
	if (desc != NULL && desc[0] != '\0')
		strv_add_sorted(&r.descs, &r.ndescs, desc);
	free(desc);
	strv_add_sorted(&r.origins, &r.norigins, tmpl->where);
	r.where = xasprintf("%s: %s", file, jp->buf);
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	rs->v[rs->n++] = r;
	return 0;
}

static int
port_get(const cJSON *p, const char *key, long long min, long long max,
    int *out, bool *present, const char *file, const struct jpath *jp)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
	long long n;

	*present = v != NULL && !cJSON_IsNull(v);
	if (!*present)
		return 0;
	if (json_int(p, key, min, max, &n) == -1) {
		log_errx("%s: %s.%s: must be an integer from %lld to %lld",
		    file, jp->buf, key, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* One IpPermission into rules of rs. */
static int
perm_parse(struct sg_rules *rs, const cJSON *p, bool egress,
    const char *origin, const char *file, struct jpath *jp)
{
	struct sg_rule t;
	const cJSON *pv, *e;
	const char *proto;
	char num[8], pbuf[32];
	bool hf, ht;
	size_t i, k, mark, mark2;
	int rc = 0;

	if (!cJSON_IsObject(p)) {
		log_errx("%s: %s: an IpPermission must be an object, not %s",
		    file, jp->buf, json_type_name(p));
		return -1;
	}
	memset(&t, 0, sizeof(t));
	t.egress = egress;
	t.from = t.to = SG_ICMP_ANY;
	pv = cJSON_GetObjectItemCaseSensitive(p, "IpProtocol");
	if (cJSON_IsNumber(pv)) {
		(void)snprintf(pbuf, sizeof(pbuf), "%d", pv->valueint);
		proto = sg_proto_name(pbuf, num);
	} else
		proto = cJSON_IsString(pv) ?
		    sg_proto_name(pv->valuestring, num) : NULL;
	if (proto == NULL) {
		log_errx("%s: %s.IpProtocol: %s%s%s is not a protocol (tcp, udp, "
		    "icmp, icmpv6, -1 or a number from 0 to %d)", file, jp->buf,
		    cJSON_IsString(pv) ? "\"" : "",
		    cJSON_IsString(pv) ? pv->valuestring : json_type_name(pv),
		    cJSON_IsString(pv) ? "\"" : "", SG_PROTO_MAX);
		return -1;
	}
	t.proto = xstrdup(proto);
	t.where = xstrdup(origin);	/* the origin, for source_parse */
	if (proto_has_ports(proto)) {
		t.ports = true;
		if (port_get(p, "FromPort", SG_PORT_MIN, SG_PORT_MAX, &t.from,
		    &hf, file, jp) == -1 || port_get(p, "ToPort", SG_PORT_MIN,
		    SG_PORT_MAX, &t.to, &ht, file, jp) == -1) {
			rc = -1;
			goto out;
		}
		if (!hf || !ht) {
			log_errx("%s: %s: protocol %s needs FromPort and ToPort",
			    file, jp->buf, proto);
			rc = -1;
			goto out;
		}
		if (t.from > t.to) {
			log_errx("%s: %s: FromPort %d is above ToPort %d", file,
			    jp->buf, t.from, t.to);
			rc = -1;
			goto out;
		}
	} else if (proto_is_icmp(proto)) {
		/* Type and code, never a range; absent means all. */
		t.ports = true;
		if (port_get(p, "FromPort", SG_ICMP_ANY, SG_ICMP_MAX, &t.from,
		    &hf, file, jp) == -1 || port_get(p, "ToPort", SG_ICMP_ANY,
		    SG_ICMP_MAX, &t.to, &ht, file, jp) == -1) {
			rc = -1;
			goto out;
		}
		if (t.from == SG_ICMP_ANY)
			t.to = SG_ICMP_ANY;	/* all types: all codes */
	}
	/* -1 and other protocols: every port, whatever the export says. */
	for (k = 0; sg_lists[k].list != NULL; k++) {
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(p,
		    sg_lists[k].list);

		if (l == NULL || cJSON_IsNull(l))
			continue;	/* EC2-Classic exports omit lists */
		mark = jpath_key(jp, sg_lists[k].list);
		if (!cJSON_IsArray(l)) {
			log_errx("%s: %s: must be an array, not %s", file,
			    jp->buf, json_type_name(l));
			rc = -1;
			jpath_pop(jp, mark);
			continue;
		}
		i = 0;
		cJSON_ArrayForEach(e, l) {
			mark2 = jpath_index(jp, i++);
			if (source_parse(rs, &t, sg_lists[k].kind,
			    sg_lists[k].key, e, file, jp) == -1)
				rc = -1;
			jpath_pop(jp, mark2);
		}
		jpath_pop(jp, mark);
	}
out:
	free(t.proto);
	free(t.where);
	return rc;
}

int
sg_rules_parse(struct sg_rules *rs, const cJSON *perms, bool egress,
    const char *origin, const char *file, const char *jpath)
{
	struct jpath jp;
	const cJSON *p;
	size_t i = 0, mark;
	int rc = 0;

	if (perms == NULL || cJSON_IsNull(perms))
		return 0;
	jpath_init(&jp, jpath);
	if (!cJSON_IsArray(perms)) {
		log_errx("%s: %s: must be an array of IpPermission, not %s",
		    file, jpath, json_type_name(perms));
		return -1;
	}
	cJSON_ArrayForEach(p, perms) {
		mark = jpath_index(&jp, i++);
		if (perm_parse(rs, p, egress, origin, file, &jp) == -1)
			rc = -1;
		jpath_pop(&jp, mark);
	}
	return rc;
}

int
sg_group_parse(struct sg_rules *rs, const struct xsg *g)
{
	char *ji = xasprintf("%s.IpPermissions", g->jpath);
	char *je = xasprintf("%s.IpPermissionsEgress", g->jpath);
	int rc = 0;

	if (sg_rules_parse(rs, cJSON_GetObjectItemCaseSensitive(g->sg,
	    "IpPermissions"), false, g->id, g->src, ji) == -1)
		rc = -1;
	if (sg_rules_parse(rs, cJSON_GetObjectItemCaseSensitive(g->sg,
	    "IpPermissionsEgress"), true, g->id, g->src, je) == -1)
		rc = -1;
	free(ji);
	free(je);
	return rc;
}

static int
str_cmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Rule identity: direction, protocol, ports, source. */
static int
rule_cmp(const struct sg_rule *a, const struct sg_rule *b)
{
	int c;

	if (a->egress != b->egress)
		return a->egress ? 1 : -1;
	if ((c = strcmp(a->proto, b->proto)) != 0)
		return c;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->internal != b->internal)
		return a->internal ? -1 : 1;
	if (a->kind == SG_KIND_CIDR4 || a->kind == SG_KIND_CIDR6) {
		/* Numeric order: 10.0.9.0/24 before 10.0.10.0/24. */
		if ((c = memcmp(a->addr, b->addr, sizeof(a->addr))) != 0)
			return c;
		if (a->plen != b->plen)
			return a->plen < b->plen ? -1 : 1;
		return 0;
	}
	return strcmp(a->source, b->source);
}

static int
rule_qcmp(const void *a, const void *b)
{
	const struct sg_rule *ra = a, *rb = b;
	int c = rule_cmp(ra, rb);

	/* Ties: deterministic by where the rule was found. */
	return c != 0 ? c : str_cmp_null(ra->where, rb->where);
}

static bool
cidr_contains(const struct sg_rule *b, const struct sg_rule *a)
{
	int i;

	if (b->plen > a->plen)
		return false;
	for (i = 0; i < b->plen; i++) {
		unsigned m = 0x80U >> (i % 8);

		if ((a->addr[i / 8] & m) != (b->addr[i / 8] & m))
			return false;
	}
	return true;
}

bool
sg_rule_contains(const struct sg_rule *b, const struct sg_rule *a)
{
	if (a->egress != b->egress || a->kind != b->kind)
		return false;
	if (strcmp(b->proto, SG_PROTO_ALL) != 0) {
		if (strcmp(a->proto, b->proto) != 0)
			return false;
		if (proto_has_ports(b->proto) &&
		    (b->from > a->from || a->to > b->to))
			return false;
		if (proto_is_icmp(b->proto) && b->from != SG_ICMP_ANY &&
		    (b->from != a->from ||
		    (b->to != SG_ICMP_ANY && b->to != a->to)))
			return false;
	}
	switch (a->kind) {
	case SG_KIND_CIDR4:
	case SG_KIND_CIDR6:
		return cidr_contains(b, a);
	default:
		return a->internal == b->internal &&
		    strcmp(a->source, b->source) == 0;
	}
}

void
sg_rules_merge(struct sg_rules *rs, bool drop_contained)
{
	size_t i, j, k, n = 0;

	if (rs->n > 1)
		qsort(rs->v, rs->n, sizeof(*rs->v), rule_qcmp);
	for (i = 0; i < rs->n; i++) {
		struct sg_rule *r = &rs->v[i];

		if (n > 0 && rule_cmp(&rs->v[n - 1], r) == 0) {
			struct sg_rule *keep = &rs->v[n - 1];

			for (k = 0; k < r->ndescs; k++)
				strv_add_sorted(&keep->descs, &keep->ndescs,
				    r->descs[k]);
			for (k = 0; k < r->norigins; k++)
				strv_add_sorted(&keep->origins,
				    &keep->norigins, r->origins[k]);
			for (k = 0; k < r->nrefs; k++)
				strv_add_sorted(&keep->refs, &keep->nrefs,
				    r->refs[k]);
			rule_cleanup(r);
			continue;
		}
		if (n != i)
			rs->v[n] = *r;
		n++;
	}
	rs->n = n;
	for (i = 0; i < rs->n; i++)
		rs->v[i].container = -1;
	if (!drop_contained)
		return;
	for (i = 0; i < rs->n; i++)
		for (j = 0; j < rs->n; j++) {
			if (j == i || rs->v[j].container >= 0 ||
			    !sg_rule_contains(&rs->v[j], &rs->v[i]))
				continue;
			if (sg_rule_contains(&rs->v[i], &rs->v[j]) && j > i)
				continue;	/* same traffic: keep the first */
			rs->v[i].container = (long)j;
			break;
		}
	/* Point every dropped rule at a rule that is kept. */
	for (i = 0; i < rs->n; i++)
		while (rs->v[i].container >= 0 &&
		    rs->v[rs->v[i].container].container >= 0)
			rs->v[i].container =
			    rs->v[rs->v[i].container].container;
}

/* ---- planning ---------------------------------------------------- */

struct sg_ctx {
	struct xlate	*x;
	char		**ids;		/* merged GroupIds, sorted */
	size_t		 nids;
	const char	*vpc;
	char		*ref;		/* "${sg/instances.GroupId}" */
	struct sg_rules	 rules;
	struct sg_rule	**in;		/* kept inbound rules */
	size_t		 nin;
	struct sg_rule	**out;		/* kept outbound rules to send */
	size_t		 nout;
	bool		 allow_all;	/* egress -1 to 0.0.0.0/0 kept */
	size_t		 ngroups;
	size_t		 stale;
	struct strbuf	 stale_md;	/* PLAN.md lines of the stale ones */
};

static int
pstrcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
id_in(char **v, size_t n, const char *s)
{
	return bsearch(&s, v, n, sizeof(*v), pstrcmp) != NULL;
}

/* The groups of the migrated services; missing ones are errors. */
static int
collect_groups(struct sg_ctx *c)
{
	struct xlate *x = c->x;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < x->nmig; i++) {
		struct xsvc *s = x->mig[i];

		if (s->nsgs == 0) {
			ctx_warn(x, s->name, "awsvpcConfiguration names no "
			    "security group (the VPC's default group applies "
			    "to its tasks): nothing of it is merged into the "
			    "instances' group");
			continue;
		}
		for (j = 0; j < s->nsgs; j++) {
			if (export_find_sg(x->ex, s->sgs[j]) == NULL) {
				log_errx("%s: %s.networkConfiguration."
				    "awsvpcConfiguration.securityGroups[%zu]: "
				    "service %s uses security group %s, which "
				    "is not in the export: add the output of "
				    "`aws ec2 describe-security-groups "
				    "--group-ids %s`", s->src, s->jpath, j,
				    s->name, s->sgs[j], s->sgs[j]);
				rc = -1;
				continue;
			}
			strv_add_sorted(&c->ids, &c->nids, s->sgs[j]);
		}
	}
	return rc;
}

/* "tcp 443", "udp 1000-2000", "icmp type 3 code 4", "all traffic". */
static char *
rule_traffic(const struct sg_rule *r)
{
	if (strcmp(r->proto, SG_PROTO_ALL) == 0)
		return xstrdup("all traffic");
	if (proto_has_ports(r->proto)) {
		if (r->from == r->to)
			return xasprintf("%s %d", r->proto, r->from);
		if (r->from == SG_PORT_MIN && r->to == SG_PORT_MAX)
			return xasprintf("%s all ports", r->proto);
		return xasprintf("%s %d-%d", r->proto, r->from, r->to);
	}
	if (proto_is_icmp(r->proto)) {
		if (r->from == SG_ICMP_ANY)
			return xasprintf("%s all types", r->proto);
		if (r->to == SG_ICMP_ANY)
			return xasprintf("%s type %d, all codes", r->proto,
			    r->from);
		return xasprintf("%s type %d code %d", r->proto, r->from,
		    r->to);
	}
	return xasprintf("protocol %s", r->proto);
}

/* Parse the merged groups, rewrite internal references, drop stale ones. */
static int
collect_rules(struct sg_ctx *c)
{
	struct xlate *x = c->x;
	const char *vpc = opt_str(x->opt, "vpc");
	size_t i, n;
	int rc = 0;

	for (i = 0; i < c->nids; i++) {
		const struct xsg *g = export_find_sg(x->ex, c->ids[i]);
		const char *gv = json_str(g->sg, "VpcId");

		if (sg_group_parse(&c->rules, g) == -1) {
			rc = -1;
			continue;
		}
		if (gv == NULL) {
			if (vpc == NULL) {
				log_errx("%s: %s.VpcId: security group %s has "
				    "no VPC: give --vpc", g->src, g->jpath,
				    g->id);
				rc = -1;
			}
			continue;
		}
		if (vpc != NULL) {
			if (strcmp(vpc, gv) != 0)
				ctx_warn(x, g->id, "is in %s, the instances' "
				    "group in %s (--vpc): references to groups "
				    "of %s need peering", gv, vpc, gv);
			continue;
		}
		if (c->vpc != NULL && strcmp(c->vpc, gv) != 0) {
			log_errx("%s: %s.VpcId: security group %s is in %s, "
			    "%s in %s: give --vpc", g->src, g->jpath, g->id,
			    gv, c->ids[0], c->vpc);
			rc = -1;
		}
		if (c->vpc == NULL)
			c->vpc = gv;
	}
	if (vpc != NULL)
		c->vpc = vpc;
	else if (c->vpc != NULL)
		ctx_resolved(x, "vpc", cJSON_CreateString(c->vpc));
	if (rc == -1)
		return -1;
	for (i = n = 0; i < c->rules.n; i++) {
		struct sg_rule *r = &c->rules.v[i];

		if (r->kind == SG_KIND_GROUP && r->peering != NULL &&
		    strcmp(r->peering, "deleted") == 0) {
			char *t = rule_traffic(r);

			ctx_warn(x, r->origins[0], "%s rule %s %s group "
			    "%s%s%s has PeeringStatus deleted (stale peering "
			    "reference): dropped (%s)", r->egress ? "outbound" :
			    "inbound", t, r->egress ? "to" : "from", r->source,
			    r->vpc_id != NULL ? " of " : "",
			    r->vpc_id != NULL ? r->vpc_id : "", r->where);
			(void)strbuf_printf(&c->stale_md, "- %s %s %s `%s`%s%s "
			    "(in `%s`)\n", r->egress ? "outbound" : "inbound",
			    t, r->egress ? "to" : "from", r->source,
			    r->vpc_id != NULL ? " of " : "",
			    r->vpc_id != NULL ? r->vpc_id : "", r->origins[0]);
			free(t);
			c->stale++;
			rule_cleanup(r);
			continue;
		}
		if (r->kind == SG_KIND_GROUP && id_in(c->ids, c->nids,
		    r->source)) {
			/* Self or sibling: now the instances' own group. */
			r->internal = true;
			strv_add_sorted(&r->refs, &r->nrefs, r->source);
			free(r->source);
			r->source = xstrdup(c->ref);
			free(r->user_id);
			free(r->vpc_id);
			free(r->pcx_id);
			free(r->peering);
			r->user_id = r->vpc_id = r->pcx_id = r->peering = NULL;
		}
		c->rules.v[n++] = *r;
	}
	c->rules.n = n;
	return 0;
}

static bool
is_default_egress(const struct sg_rule *r)
{
	return r->egress && strcmp(r->proto, SG_PROTO_ALL) == 0 &&
	    r->kind == SG_KIND_CIDR4 && strcmp(r->source, SG_ALL_IPV4) == 0;
}

static size_t
groups_needed(size_t n, long long cap)
{
	if (n == 0)
		return 0;
	if (cap <= 0)
		return SIZE_MAX;
	return (n + (size_t)cap - 1) / (size_t)cap;
}

/* Kept rules by direction; the number of groups they need. */
static int
rules_select(struct sg_ctx *c)
{
	const struct options *o = c->x->opt;
	long long maxin = opt_int(o, "sg-max-ingress");
	long long maxeg = opt_int(o, "sg-max-egress");
	long long maxg = opt_int(o, "sg-max-groups");
	long long capeg;
	size_t i, j, gin, geg, in, eg;
	struct strbuf sb;

	c->in = xreallocarray(NULL, c->rules.n + 1, sizeof(*c->in));
	c->out = xreallocarray(NULL, c->rules.n + 1, sizeof(*c->out));
	for (i = 0; i < c->rules.n; i++) {
		struct sg_rule *r = &c->rules.v[i];

		if (r->container >= 0)
			continue;
		if (!r->egress)
			c->in[c->nin++] = r;
		else if (is_default_egress(r))
			c->allow_all = true;
		else
			c->out[c->nout++] = r;
	}
	/* The default egress rule takes one place in every group. */
	capeg = c->allow_all ? maxeg - 1 : maxeg;
	gin = groups_needed(c->nin, maxin);
	geg = groups_needed(c->nout, capeg);
	c->ngroups = gin > geg ? gin : geg;
	if (c->ngroups == 0)
		c->ngroups = 1;
	if (c->ngroups != SIZE_MAX && maxg > 0 &&
	    c->ngroups <= (size_t)maxg)
		return 0;
	strbuf_init(&sb, XLATE_MD_MAX);
	for (i = 0; i < c->nids; i++) {
		in = eg = 0;
		for (j = 0; j < c->rules.n; j++) {
			const struct sg_rule *r = &c->rules.v[j];

			if (r->container >= 0 ||
			    !id_in(r->origins, r->norigins, c->ids[i]))
				continue;
			if (r->egress)
				eg++;
			else
				in++;
		}
		(void)strbuf_printf(&sb, "%s%s %zu in / %zu out",
		    i > 0 ? ", " : "", c->ids[i], in, eg);
	}
	log_errx("security groups: the merged rules need %zu inbound rules "
	    "(--sg-max-ingress %lld per group) and %zu outbound rules "
	    "(--sg-max-egress %lld per group%s): more groups than "
	    "--sg-max-groups %lld allows on one network interface; rules per "
	    "source group (a rule shared by groups counts for each): %s",
	    c->nin, maxin, c->nout + (c->allow_all ? 1 : 0), maxeg,
	    c->allow_all ? ", one of them the default allow-all rule" : "",
	    maxg, sb.buf != NULL ? sb.buf : "");
	strbuf_cleanup(&sb);
	return -1;
}

/* Description of a rule: its Descriptions joined, cut to the limit. */
static char *
desc_join(const struct sg_rule *r)
{
	struct strbuf sb;
	size_t i, len;
	char *s;

	if (r->ndescs == 0)
		return NULL;
	strbuf_init(&sb, XLATE_MD_MAX);
	for (i = 0; i < r->ndescs; i++)
		(void)strbuf_printf(&sb, "%s%s", i > 0 ? "; " : "",
		    r->descs[i]);
	s = strbuf_take(&sb, &len);
	if (len > SG_MAX_DESC) {
		len = SG_MAX_DESC;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;		/* not inside a UTF-8 sequence */
		s[len] = '\0';
	}
	return s;
}

static cJSON *
perm_new(const struct sg_rule *r)
{
	cJSON *p = cJSON_CreateObject();

	json_add_str(p, "IpProtocol", r->proto);
	if (r->ports) {
		json_add_num(p, "FromPort", r->from);
		json_add_num(p, "ToPort", r->to);
	}
	return p;
}

static void
perm_add_source(cJSON *p, const struct sg_rule *r)
{
	const char *list = sg_lists[r->kind - 1].list;
	const char *key = sg_lists[r->kind - 1].key;
	cJSON *l = cJSON_GetObjectItemCaseSensitive(p, list), *e;
	char *d = desc_join(r);

	if (l == NULL)
		l = cJSON_AddArrayToObject(p, list);
	e = cJSON_CreateObject();
	json_add_str(e, key, r->source);
	if (r->user_id != NULL)
		json_add_str(e, "UserId", r->user_id);
	if (r->vpc_id != NULL)
		json_add_str(e, "VpcId", r->vpc_id);
	if (r->pcx_id != NULL)
		json_add_str(e, "VpcPeeringConnectionId", r->pcx_id);
	if (d != NULL)
		json_add_str(e, "Description", d);
	free(d);
	cJSON_AddItemToArray(l, e);
}

static bool
same_perm(const struct sg_rule *a, const struct sg_rule *b)
{
	return strcmp(a->proto, b->proto) == 0 && a->from == b->from &&
	    a->to == b->to;
}

static void
step_record(struct xlate *x, const char *id)
{
	x->sg_steps = xreallocarray(x->sg_steps, x->nsg_steps + 1,
	    sizeof(*x->sg_steps));
	x->sg_steps[x->nsg_steps++] = xstrdup(id);
}

static int
step_add(struct sg_ctx *c, const char *id, const char *action,
    const char *title, cJSON *req, const char *const *after,
    struct plan_step **out)
{
	char *path = ctx_request(c->x, id, req);
	struct plan_step *st;

	cJSON_Delete(req);
	if (path == NULL)
		return -1;
	st = plan_add(c->x->plan, id, XLATE_PHASE_IMPORT, action, title, path,
	    after);
	free(path);
	if (st == NULL)
		return -1;
	step_record(c->x, id);
	if (out != NULL)
		*out = st;
	return 0;
}

/* Authorize v[0..n) on group gstep in batches of SG_MAX_CALL_PERMS. */
static int
rules_emit(struct sg_ctx *c, const char *gstep, struct sg_rule **v,
    size_t n, bool egress)
{
	size_t i = 0, batch = 0, nperm, nrules;
	int rc = 0;

	while (i < n && rc == 0) {
		cJSON *req = cJSON_CreateObject(), *perms, *p = NULL;
		const struct sg_rule *prev = NULL;
		const char *after[3] = { gstep, NULL, NULL };
		char *gref = plan_ref(gstep, SG_OUTPUT_ID), *id, *title;
		bool internal = false;

		json_add_str(req, "GroupId", gref);
		free(gref);
		perms = cJSON_AddArrayToObject(req, "IpPermissions");
		nperm = nrules = 0;
		for (; i < n; i++) {
			const struct sg_rule *r = v[i];

			if (prev == NULL || !same_perm(prev, r)) {
				if (nperm == SG_MAX_CALL_PERMS)
					break;
				p = perm_new(r);
				cJSON_AddItemToArray(perms, p);
				nperm++;
			}
			perm_add_source(p, r);
			internal |= r->internal;
			prev = r;
			nrules++;
		}
		batch++;
		if (internal && strcmp(gstep, SG_STEP) != 0)
			after[1] = SG_STEP;
		id = xasprintf("%s:%s-%zu", gstep, egress ? "egress" :
		    "ingress", batch);
		title = xasprintf("authorize %zu %s rules on %s (%zu "
		    "IpPermissions)", nrules, egress ? "outbound" : "inbound",
		    gstep, nperm);
		rc = step_add(c, id, egress ? "ec2:AuthorizeSecurityGroupEgress" :
		    "ec2:AuthorizeSecurityGroupIngress", title, req, after, NULL);
		free(id);
		free(title);
	}
	return rc;
}

static char *
group_step(size_t k)
{
	return k == 0 ? xstrdup(SG_STEP) : xasprintf("%s-%zu", SG_STEP, k + 1);
}

static char *
group_name(const struct sg_ctx *c, size_t k)
{
	const char *prefix = opt_str(c->x->opt, "prefix");
	const char *cl = opt_str(c->x->opt, "ecs-cluster");

	if (k == 0)
		return xasprintf("%s%s-instances", prefix != NULL ? prefix : "",
		    cl != NULL ? cl : "ecs");
	return xasprintf("%s%s-instances-%zu", prefix != NULL ? prefix : "",
	    cl != NULL ? cl : "ecs", k + 1);
}

static int
groups_create(struct sg_ctx *c)
{
	struct xlate *x = c->x;
	const char *cl = opt_str(x->opt, "ecs-cluster");
	struct plan_step *st;
	size_t k;

	for (k = 0; k < c->ngroups; k++) {
		cJSON *req = cJSON_CreateObject(), *ts, *t, *tags, *nt;
		char *id = group_step(k), *name = group_name(c, k), *desc,
		    *title;
		int rc;

		if (strlen(name) > SG_MAX_DESC ||
		    strncasecmp(name, "sg-", 3) == 0) {
			log_errx("security group name \"%s\" (from --prefix and "
			    "the cluster name) is longer than %d or starts "
			    "with sg-: give another --prefix", name,
			    SG_MAX_DESC);
			cJSON_Delete(req);
			free(id);
			free(name);
			return -1;
		}
		if (c->ngroups == 1)
			desc = xasprintf("f2o: instances of ECS cluster %s: "
			    "merged rules of the migrated services",
			    cl != NULL ? cl : "");
		else
			desc = xasprintf("f2o: instances of ECS cluster %s: "
			    "merged rules of the migrated services (%zu of "
			    "%zu)", cl != NULL ? cl : "", k + 1, c->ngroups);
		json_add_str(req, "GroupName", name);
		json_add_str(req, "Description", desc);
		json_add_str(req, "VpcId", c->vpc);
		ts = cJSON_AddArrayToObject(req, "TagSpecifications");
		t = cJSON_CreateObject();
		json_add_str(t, "ResourceType", "security-group");
		tags = ctx_tags(x, "Key", "Value");
		nt = cJSON_CreateObject();
		json_add_str(nt, "Key", "Name");
		json_add_str(nt, "Value", name);
		cJSON_InsertItemInArray(tags, 0, nt);
		cJSON_AddItemToObject(t, "Tags", tags);
		cJSON_AddItemToArray(ts, t);
		title = xasprintf("create security group %s for the Ocean "
		    "instances in %s", name, c->vpc);
		rc = step_add(c, id, "ec2:CreateSecurityGroup", title, req,
		    NULL, &st);
		if (rc == 0) {
			plan_step_output(st, SG_OUTPUT_ID, SG_OUTPUT_PATH);
			x->instance_sgs = xreallocarray(x->instance_sgs,
			    x->ninstance_sgs + 1, sizeof(*x->instance_sgs));
			x->instance_sgs[x->ninstance_sgs++] =
			    plan_ref(id, SG_OUTPUT_ID);
		}
		free(title);
		free(desc);
		free(id);
		free(name);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Share of the rules v[0..n) for group k of ngroups (cap per group). */
static void
share(size_t n, size_t cap, size_t k, size_t *lo, size_t *cnt)
{
	*lo = k * cap;
	if (*lo >= n) {
		*lo = n;
		*cnt = 0;
		return;
	}
	*cnt = n - *lo < cap ? n - *lo : cap;
}

static int
groups_fill(struct sg_ctx *c)
{
	long long maxin = opt_int(c->x->opt, "sg-max-ingress");
	long long maxeg = opt_int(c->x->opt, "sg-max-egress");
	size_t k, lo, cnt, capin, capeg;
	int rc = 0;

	/* Fill groups in order; c->ngroups fits (rules_select). */
	capin = maxin > 0 ? (size_t)maxin : 1;
	capeg = (size_t)(maxeg - (c->allow_all ? 1 : 0));
	if (capeg == 0)
		capeg = 1;
	for (k = 0; k < c->ngroups && rc == 0; k++) {
		char *id = group_step(k);

		if (!c->allow_all) {
			cJSON *req = cJSON_CreateObject(), *perms, *p, *l, *e;
			const char *after[2] = { id, NULL };
			char *rid = xasprintf("%s:egress-revoke", id);
			char *gref = plan_ref(id, SG_OUTPUT_ID), *title;

			json_add_str(req, "GroupId", gref);
			perms = cJSON_AddArrayToObject(req, "IpPermissions");
			p = cJSON_CreateObject();
			json_add_str(p, "IpProtocol", SG_PROTO_ALL);
			l = cJSON_AddArrayToObject(p, "IpRanges");
			e = cJSON_CreateObject();
			json_add_str(e, "CidrIp", SG_ALL_IPV4);
			cJSON_AddItemToArray(l, e);
			cJSON_AddItemToArray(perms, p);
			title = xasprintf("revoke the default allow-all "
			    "outbound rule of %s", id);
			rc = step_add(c, rid, "ec2:RevokeSecurityGroupEgress",
			    title, req, after, NULL);
			free(title);
			free(gref);
			free(rid);
		}
		share(c->nin, capin, k, &lo, &cnt);
		if (rc == 0 && cnt > 0)
			rc = rules_emit(c, id, c->in + lo, cnt, false);
		share(c->nout, capeg, k, &lo, &cnt);
		if (rc == 0 && cnt > 0)
			rc = rules_emit(c, id, c->out + lo, cnt, true);
		free(id);
	}
	return rc;
}

/* ---- PLAN.md ----------------------------------------------------- */

static void
md_text(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|' || *s == '`' || *s == '*' || *s == '_' ||
		    *s == '\\' || *s == '<' || *s == '[')
			(void)strbuf_printf(sb, "\\%c", *s);
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			(void)strbuf_puts(sb, " ");
		else
			(void)strbuf_add(sb, s, 1);
	}
}

static void
md_source(struct strbuf *sb, const struct sg_rule *r)
{
	size_t i;

	if (r->internal) {
		(void)strbuf_puts(sb, "the instances' group (was");
		for (i = 0; i < r->nrefs; i++)
			(void)strbuf_printf(sb, "%s `%s`", i > 0 ? "," : "",
			    r->refs[i]);
		(void)strbuf_puts(sb, ")");
		return;
	}
	(void)strbuf_puts(sb, "`");
	md_text(sb, r->source);
	(void)strbuf_puts(sb, "`");
	if (r->kind == SG_KIND_PREFIX_LIST)
		(void)strbuf_puts(sb, " (prefix list)");
	if (r->kind == SG_KIND_GROUP && (r->user_id != NULL ||
	    r->vpc_id != NULL || r->pcx_id != NULL)) {
		const char *sep = " (";

		if (r->user_id != NULL) {
			(void)strbuf_printf(sb, "%saccount ", sep);
			md_text(sb, r->user_id);
			sep = ", ";
		}
		if (r->vpc_id != NULL) {
			(void)strbuf_printf(sb, "%s", sep);
			md_text(sb, r->vpc_id);
			sep = ", ";
		}
		if (r->pcx_id != NULL) {
			(void)strbuf_printf(sb, "%speering ", sep);
			md_text(sb, r->pcx_id);
		}
		(void)strbuf_puts(sb, ")");
	}
}

static bool
svc_has_origin(const struct xsvc *s, const struct sg_rule *r)
{
	size_t i;

	for (i = 0; i < s->nsgs; i++)
		if (id_in(r->origins, r->norigins, s->sgs[i]))
			return true;
	return false;
}

static void
md_services(struct strbuf *sb, const struct sg_ctx *c,
    const struct sg_rule *r)
{
	size_t i, n = 0;

	for (i = 0; i < c->x->nmig; i++)
		if (svc_has_origin(c->x->mig[i], r))
			(void)strbuf_printf(sb, "%s%s", n++ > 0 ? ", " : "",
			    c->x->mig[i]->name);
}

static void
md_rule_row(struct strbuf *sb, const struct sg_ctx *c,
    const struct sg_rule *r)
{
	char *t = rule_traffic(r);
	size_t i;

	(void)strbuf_printf(sb, "| %s | %s | ", r->egress ? "outbound" :
	    "inbound", t);
	free(t);
	md_source(sb, r);
	(void)strbuf_puts(sb, " | ");
	for (i = 0; i < r->ndescs; i++) {
		if (i > 0)
			(void)strbuf_puts(sb, "; ");
		md_text(sb, r->descs[i]);
	}
	(void)strbuf_puts(sb, " | ");
	for (i = 0; i < r->norigins; i++)
		(void)strbuf_printf(sb, "%s`%s`", i > 0 ? ", " : "",
		    r->origins[i]);
	(void)strbuf_puts(sb, " | ");
	md_services(sb, c, r);
	(void)strbuf_puts(sb, " |\n");
}

static void
md_rule_line(struct strbuf *sb, const struct sg_rule *r)
{
	char *t = rule_traffic(r);

	(void)strbuf_printf(sb, "%s %s %s ", r->egress ? "outbound" :
	    "inbound", t, r->egress ? "to" : "from");
	free(t);
	md_source(sb, r);
}

static void
md_write(struct sg_ctx *c, size_t nparsed, size_t nmerged)
{
	struct strbuf *sb = &c->x->md_sg;
	const char *first = SG_STEP;
	size_t i, j, k, lo, cnt, n, ndropped = 0;
	long long maxin = opt_int(c->x->opt, "sg-max-ingress");
	long long maxeg = opt_int(c->x->opt, "sg-max-egress");
	size_t capin = maxin > 0 ? (size_t)maxin : 1;
	size_t capeg = (size_t)(maxeg - (c->allow_all ? 1 : 0));

	if (capeg == 0)
		capeg = 1;
	for (i = 0; i < c->rules.n; i++)
		if (c->rules.v[i].container >= 0)
			ndropped++;
	(void)strbuf_puts(sb, "## Security groups of the instances\n\n");
	(void)strbuf_puts(sb, "With awsvpc each task keeps its own security "
	    "groups on its own network interface: nothing below changes what "
	    "reaches or leaves the tasks. The merged group governs the "
	    "instances' primary interfaces (the ECS agent, image pulls, "
	    "anything in bridge or host network mode), and so every instance "
	    "opens what any migrated service's groups opened.\n\n");
	(void)strbuf_printf(sb, "Merged from %zu group%s:", c->nids,
	    c->nids == 1 ? "" : "s");
	for (i = 0; i < c->nids; i++) {
		const struct xsg *g = export_find_sg(c->x->ex, c->ids[i]);
		const char *gn = json_str(g->sg, "GroupName");

		(void)strbuf_printf(sb, "%s `%s` (", i > 0 ? "," : "",
		    c->ids[i]);
		if (gn != NULL) {
			md_text(sb, gn);
			(void)strbuf_puts(sb, "; ");
		}
		(void)strbuf_puts(sb, "used by");
		for (j = n = 0; j < c->x->nmig; j++)
			for (k = 0; k < c->x->mig[j]->nsgs; k++)
				if (strcmp(c->x->mig[j]->sgs[k], c->ids[i]) ==
				    0) {
					(void)strbuf_printf(sb, "%s %s",
					    n++ > 0 ? "," : "",
					    c->x->mig[j]->name);
					break;
				}
		(void)strbuf_puts(sb, ")");
	}
	(void)strbuf_printf(sb, ", in `%s`. %zu rules read (one per CIDR, "
	    "prefix list or group pair); %zu stale peering references "
	    "dropped; %zu rules after folding exact duplicates; %zu of them "
	    "dropped as contained in another (--sg-drop-contained). A "
	    "reference to one of the merged groups (self or sibling) now "
	    "names the instances' group `%s`.\n\n", c->vpc,
	    nparsed + c->stale, c->stale, nmerged, ndropped, c->ref);
	if (c->stale > 0) {
		(void)strbuf_puts(sb, "Dropped stale peering references "
		    "(`PeeringStatus: deleted`; also in warnings.json):\n\n");
		(void)strbuf_add(sb, c->stale_md.buf, c->stale_md.len);
		(void)strbuf_puts(sb, "\n");
	}
	(void)strbuf_printf(sb, "Quota: at most %lld inbound and %lld "
	    "outbound rules per group (each CIDR, prefix list or group pair "
	    "counts as one; IPv4 and IPv6 together, which is stricter than "
	    "AWS), at most %lld groups per interface: %zu inbound and %zu "
	    "outbound rules to authorize need %zu group%s. Rules are sent in "
	    "ec2:AuthorizeSecurityGroupIngress/Egress calls of at most %d "
	    "IpPermissions each; one IpPermission holds the sources of one "
	    "protocol and port range.\n\n", maxin, maxeg,
	    opt_int(c->x->opt, "sg-max-groups"), c->nin, c->nout,
	    c->ngroups, c->ngroups == 1 ? "" : "s", SG_MAX_CALL_PERMS);
	for (i = n = 0; i < c->rules.n; i++) {
		const struct sg_rule *r = &c->rules.v[i];

		if (r->container >= 0 || r->kind != SG_KIND_PREFIX_LIST)
			continue;
		if (n++ == 0)
			(void)strbuf_puts(sb, "Prefix lists count here as one "
			    "rule each, but AWS counts a customer-managed "
			    "prefix list as its maximum number of entries, "
			    "which the export does not show (`aws ec2 "
			    "describe-managed-prefix-lists`):");
		(void)strbuf_printf(sb, "%s `", n > 1 ? "," : "");
		md_text(sb, r->source);
		(void)strbuf_puts(sb, "`");
	}
	if (n > 0)
		(void)strbuf_puts(sb, ".\n\n");
	for (k = 0; k < c->ngroups; k++) {
		char *id = group_step(k), *name = group_name(c, k);

		(void)strbuf_printf(sb, "### `%s` (step `%s`)\n\n", name, id);
		(void)strbuf_puts(sb, "| direction | traffic | source / "
		    "destination | description | from groups | services |\n"
		    "|---|---|---|---|---|---|\n");
		share(c->nin, capin, k, &lo, &cnt);
		for (i = lo; i < lo + cnt; i++)
			md_rule_row(sb, c, c->in[i]);
		share(c->nout, capeg, k, &lo, &cnt);
		for (i = lo; i < lo + cnt; i++)
			md_rule_row(sb, c, c->out[i]);
		(void)strbuf_puts(sb, "\n");
		free(id);
		free(name);
	}
	if (c->allow_all)
		(void)strbuf_puts(sb, "Outbound: all traffic to `0.0.0.0/0` "
		    "is allowed, which is the rule every new group starts "
		    "with: nothing is sent for it.\n\n");
	else if (c->nout == 0)
		(void)strbuf_printf(sb, "Outbound: **none at all** (the "
		    "merged groups' IpPermissionsEgress are empty): step "
		    "`%s:egress-revoke` revokes the default allow-all rule "
		    "(all traffic to `0.0.0.0/0`) of each new group and no "
		    "outbound rule is added.\n\n", first);
	else
		(void)strbuf_printf(sb, "Outbound is restricted: step "
		    "`%s:egress-revoke` revokes the default allow-all rule "
		    "(all traffic to `0.0.0.0/0`) of each new group, and only "
		    "the outbound rules above are authorized.\n\n", first);
	if (ndropped > 0) {
		(void)strbuf_puts(sb, "Dropped as wholly contained in another "
		    "rule (same direction and source kind, the same protocol "
		    "or all traffic, a wider or equal CIDR and port range):\n\n");
		for (i = 0; i < c->rules.n; i++) {
			const struct sg_rule *r = &c->rules.v[i];

			if (r->container < 0)
				continue;
			(void)strbuf_puts(sb, "- ");
			md_rule_line(sb, r);
			(void)strbuf_puts(sb, " (");
			md_services(sb, c, r);
			(void)strbuf_puts(sb, "): inside ");
			md_rule_line(sb, &c->rules.v[r->container]);
			(void)strbuf_puts(sb, " (");
			md_services(sb, c, &c->rules.v[r->container]);
			(void)strbuf_puts(sb, ")\n");
		}
		(void)strbuf_puts(sb, "\n");
	}
	(void)strbuf_puts(sb, "What each service's instances gain (inbound "
	    "rules that come only from other services' groups):\n\n");
	for (j = 0; j < c->x->nmig; j++) {
		const struct xsvc *s = c->x->mig[j];

		(void)strbuf_printf(sb, "- **%s**:", s->name);
		for (i = n = 0; i < c->nin; i++) {
			if (svc_has_origin(s, c->in[i]))
				continue;
			(void)strbuf_puts(sb, n++ > 0 ? "; " : " ");
			md_rule_line(sb, c->in[i]);
		}
		if (n == 0)
			(void)strbuf_puts(sb, " nothing");
		(void)strbuf_puts(sb, "\n");
	}
	(void)strbuf_puts(sb, "\n");
}

/* Warn when restricted egress leaves the ECS agent without HTTPS. */
static void
egress_check(struct sg_ctx *c)
{
	size_t i;

	if (c->allow_all)
		return;
	for (i = 0; i < c->nout; i++) {
		const struct sg_rule *r = c->out[i];

		if (strcmp(r->proto, SG_PROTO_ALL) == 0 ||
		    (strcmp(r->proto, "tcp") == 0 && r->from <= SG_HTTPS &&
		    r->to >= SG_HTTPS))
			return;
	}
	ctx_warn(c->x, "security groups", "the instances' outbound rules "
	    "open no HTTPS (tcp 443): the ECS agent cannot reach ECS, ECR or "
	    "CloudWatch endpoints unless another group or path allows it");
}

int
sg_plan(struct xlate *x)
{
	struct sg_ctx ctx, *c = &ctx;
	size_t nparsed, nmerged;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->x = x;
	c->ref = plan_ref(SG_STEP, SG_OUTPUT_ID);
	strbuf_init(&c->stale_md, XLATE_MD_MAX);
	if (collect_groups(c) == -1)
		goto out;
	if (c->nids == 0) {
		(void)strbuf_puts(&x->md_sg, "## Security groups of the "
		    "instances\n\nNo migrated service names a security group: "
		    "no group is planned for the instances.\n\n");
		rc = 0;
		goto out;
	}
	if (collect_rules(c) == -1)
		goto out;
	nparsed = c->rules.n;
	sg_rules_merge(&c->rules, opt_bool(x->opt, "sg-drop-contained"));
	nmerged = c->rules.n;
	if (rules_select(c) == -1)
		goto out;
	if (groups_create(c) == -1 || groups_fill(c) == -1)
		goto out;
	egress_check(c);
	md_write(c, nparsed, nmerged);
	rc = 0;
out:
	free(c->in);
	free(c->out);
	sg_rules_free(&c->rules);
	strv_free(c->ids, c->nids);
	free(c->ref);
	strbuf_cleanup(&c->stale_md);
	return rc;
}
