#ifndef F2O_SG_H
#define F2O_SG_H
/*
 * The instances' security group(s): the rules of every group a migrated
 * service puts on its tasks (awsvpcConfiguration.securityGroups), merged
 * into one group (or a few when over the rules quota) that the Ocean
 * launch specification puts on the instances' primary interfaces.
 *
 * Normalisation: one sg_rule per source (CIDR, IPv6 CIDR, prefix list or
 * group pair) of each IpPermission. Protocols by name or number become
 * "tcp", "udp", "icmp", "icmpv6", "-1" or a decimal number; ICMP
 * FromPort/ToPort are type and code; "-1" and other protocols have none.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "model.h"

#define SG_MAX_RULES		1000000	/* normalised rules of one merge */
#define SG_MAX_CALL_PERMS	10	/* IpPermissions per Authorize call */
#define SG_MAX_DESC		255	/* EC2 description length */
#define SG_STEP			"sg/instances"
#define SG_OUTPUT_ID		"GroupId"
#define SG_OUTPUT_PATH		"groupId"
#define SG_ALL_IPV4		"0.0.0.0/0"
#define SG_PROTO_ALL		"-1"

enum sg_kind {
	SG_KIND_CIDR4 = 1,		/* IpRanges[].CidrIp */
	SG_KIND_CIDR6,			/* Ipv6Ranges[].CidrIpv6 */
	SG_KIND_PREFIX_LIST,		/* PrefixListIds[].PrefixListId */
	SG_KIND_GROUP,			/* UserIdGroupPairs[] */
	SG_KIND__MAX
};

struct sg_rule {
	bool	 egress;
	char	*proto;			/* canonical, see above */
	bool	 ports;			/* from/to meaningful */
	int	 from;			/* port, or ICMP type (-1 = all) */
	int	 to;			/* port, or ICMP code (-1 = all) */
	enum sg_kind kind;
	char	*source;		/* CIDR, prefix list id or GroupId */
	char	*user_id;		/* group pairs: UserId or NULL */
	char	*vpc_id;		/* group pairs: VpcId or NULL */
	char	*pcx_id;		/* group pairs: VpcPeeringConnectionId */
	char	*peering;		/* group pairs: PeeringStatus or NULL */
	bool	 internal;		/* source is a merged group */
	unsigned char addr[16];		/* CIDR network, for containment */
	int	 plen;			/* CIDR prefix length */
	char	**descs;		/* distinct non-empty Descriptions */
	size_t	 ndescs;
	char	**origins;		/* GroupIds it came from, sorted */
	size_t	 norigins;
	char	**refs;			/* internal: the merged groups named */
	size_t	 nrefs;
	char	*where;			/* "file: $.path" of the first source */
	long	 container;		/* index of the rule containing it, or -1 */
};

struct sg_rules {
	struct sg_rule *v;
	size_t	 n;
};

/*
 * Append the rules of one IpPermission list (IpPermissions or
 * IpPermissionsEgress; NULL = none) of group origin to rs. file and jpath
 * name the list for messages. Returns 0, or -1 (logged).
 */
int	sg_rules_parse(struct sg_rules *rs, const cJSON *perms, bool egress,
	    const char *origin, const char *file, const char *jpath);
/* Both directions of an exported group. Returns 0, or -1 (logged). */
int	sg_group_parse(struct sg_rules *rs, const struct xsg *g);
void	sg_rules_free(struct sg_rules *);	/* NULL-safe, keeps rs */
/*
 * Canonical protocol for name or number ("TCP", "6" -> "tcp"); NULL when
 * it is neither (not a protocol name, not 0..255 or -1).
 */
const char *sg_proto_name(const char *proto, char buf[8]);
/*
 * Sort, fold exact duplicates (same direction, protocol, ports and
 * source; their Descriptions and origins are united) and, when
 * drop_contained, mark (container >= 0) rules wholly inside another.
 */
void	sg_rules_merge(struct sg_rules *rs, bool drop_contained);
/* True when rule a's traffic is a subset of rule b's. */
bool	sg_rule_contains(const struct sg_rule *b, const struct sg_rule *a);
/*
 * The pipeline stage: merge the migrated services' groups, plan the
 * ec2 steps, set x->instance_sgs / x->sg_steps, write x->md_sg.
 * Returns 0, or -1 (logged).
 */
int	sg_plan(struct xlate *x);

#endif
