#ifndef F2O_SG_INT_H
#define F2O_SG_INT_H
/*
 * Inside the security-group stage (sg*.c only): the state the steps pass
 * forward, and the helpers they share. The public interface is sg.h.
 */
#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "sg.h"

#define SG_PORT_MIN	0
#define SG_PORT_MAX	65535
#define SG_ICMP_ANY	(-1)		/* ICMP type or code: all */
#define SG_ICMP_MAX	255
#define SG_PROTO_MAX	255		/* IP protocol numbers */
#define SG_V4_BITS	32
#define SG_V6_BITS	128
#define SG_V6_BYTES	16
#define SG_HTTPS	443		/* what the ECS agent needs out */

/* The IpPermission source lists, by kind (sg_lists[kind - 1]). */
struct sg_list {
	enum sg_kind	 kind;
	const char	*list;		/* IpPermission member */
	const char	*key;		/* member of each entry */
};
extern const struct sg_list sg_lists[];

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

/* True for tcp and udp: FromPort/ToPort are ports. */
bool	sg_rules_has_ports(const char *p);
/* True for icmp and icmpv6: FromPort/ToPort are type and code. */
bool	sg_rules_is_icmp(const char *p);
/* Insert a copy of s into the sorted set v[0..n) unless present. */
void	sg_rules_strv_add(char ***v, size_t *n, const char *s);
void	sg_rules_strv_free(char **v, size_t n);
/* Free what one rule owns. */
void	sg_rules_cleanup(struct sg_rule *r);
/* The migrated services' groups into c->ids; missing ones are errors. */
int	sg_refs_groups(struct sg_ctx *c);
/* Parse the merged groups, rewrite internal references, drop stale ones. */
int	sg_refs_rules(struct sg_ctx *c);
/* True when s is in the sorted v[0..n). */
bool	sg_refs_has(char **v, size_t n, const char *s);
/* strcmp of two char * elements, for qsort and bsearch. */
int	sg_refs_cmp(const void *a, const void *b);
/* "tcp 443", "udp 1000-2000", "icmp type 3 code 4", "all traffic". */
char	*sg_refs_traffic(const struct sg_rule *r);
/* Kept rules by direction into c->in / c->out; c->ngroups they need. */
int	sg_quota_select(struct sg_ctx *c);
/* Plan the CreateSecurityGroup steps. */
int	sg_quota_create(struct sg_ctx *c);
/* Plan the revoke / authorize steps of each group. */
int	sg_quota_fill(struct sg_ctx *c);
/* Step id of group k: "sg/instances", "sg/instances-2" ... */
char	*sg_quota_group_step(size_t k);
/* GroupName of group k. */
char	*sg_quota_group_name(const struct sg_ctx *c, size_t k);
/* Share of the rules v[0..n) for group k (cap per group). */
void	sg_quota_share(size_t n, size_t cap, size_t k, size_t *lo,
	    size_t *cnt);
/* The PLAN.md section of the merge. */
void	sg_report_write(struct sg_ctx *c, size_t nparsed, size_t nmerged);

#endif
