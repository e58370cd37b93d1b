/*
 * Security groups, step 1: IpPermissions of the exported groups normalised
 * into one sg_rule per source (protocol names, ports, CIDRs). See sg.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "log.h"
#include "sg.h"
#include "sg_int.h"
#include "xalloc.h"

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

/* The IpPermission source lists, by kind (see sg_int.h). */
const struct sg_list sg_lists[] = {
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

bool
sg_rules_has_ports(const char *p)
{
	return strcmp(p, "tcp") == 0 || strcmp(p, "udp") == 0;
}

bool
sg_rules_is_icmp(const char *p)
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

void
sg_rules_strv_add(char ***v, size_t *n, const char *s)
{
	size_t lo = 0, hi = *n, mid;
	int c;

	/* The first not below s, by halves: v is sorted and grows large. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp((*v)[mid], s);
		if (c == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	memmove(*v + lo + 1, *v + lo, (*n - lo) * sizeof(**v));
	(*v)[lo] = xstrdup(s);
	(*n)++;
}

void
sg_rules_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
sg_rules_cleanup(struct sg_rule *r)
{
	free(r->proto);
	free(r->source);
	free(r->user_id);
	free(r->vpc_id);
	free(r->pcx_id);
	free(r->peering);
	sg_rules_strv_free(r->descs, r->ndescs);
	sg_rules_strv_free(r->origins, r->norigins);
	sg_rules_strv_free(r->refs, r->nrefs);
	free(r->where);
}

void
sg_rules_free(struct sg_rules *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		sg_rules_cleanup(&rs->v[i]);
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
		sg_rules_cleanup(&r);
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
			sg_rules_cleanup(&r);
			return -1;
		}
		r.source = xasprintf("%s/%d", a, r.plen);
	} else
		r.source = xstrdup(src);
	if (desc != NULL && desc[0] != '\0')
		sg_rules_strv_add(&r.descs, &r.ndescs, desc);
	free(desc);
	sg_rules_strv_add(&r.origins, &r.norigins, tmpl->where);
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
	if (sg_rules_has_ports(proto)) {
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
	} else if (sg_rules_is_icmp(proto)) {
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
