/*
 * Security groups, step 3: sort the rules, fold exact duplicates and mark
 * rules wholly contained in another (sg_rules_merge). See sg.h.
 */
#include <stdlib.h>
#include <string.h>

#include "sg.h"
#include "sg_int.h"

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
		if (sg_rules_has_ports(b->proto) &&
		    (b->from > a->from || a->to > b->to))
			return false;
		if (sg_rules_is_icmp(b->proto) && b->from != SG_ICMP_ANY &&
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
				sg_rules_strv_add(&keep->descs, &keep->ndescs,
				    r->descs[k]);
			for (k = 0; k < r->norigins; k++)
				sg_rules_strv_add(&keep->origins,
				    &keep->norigins, r->origins[k]);
			for (k = 0; k < r->nrefs; k++)
				sg_rules_strv_add(&keep->refs, &keep->nrefs,
				    r->refs[k]);
			sg_rules_cleanup(r);
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
