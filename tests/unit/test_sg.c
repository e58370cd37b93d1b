/* Security groups: rule normalisation, merge, containment, real exports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "fsio.h"
#include "jsonutil.h"
#include "sg.h"
#include "xalloc.h"

#define RW_DIR		"fixtures/realworld/securitygroups"
#define ERR_MAX		(64 * 1024)

/* Parse one IpPermissions array (JSON text) as ingress of group "sg-o". */
static int
perms(struct sg_rules *rs, const char *text, bool egress)
{
	cJSON *j = json_parse_quiet(text, strlen(text));
	int rc;

	assert_non_null(j);
	rc = sg_rules_parse(rs, j, egress, "sg-o", "mem.json",
	    "$.IpPermissions");
	cJSON_Delete(j);
	return rc;
}

static void
test_sg_proto_names(void **state)
{
	char b[8];

	(void)state;
	assert_string_equal(sg_proto_name("tcp", b), "tcp");
	assert_string_equal(sg_proto_name("TCP", b), "tcp");
	assert_string_equal(sg_proto_name("6", b), "tcp");
	assert_string_equal(sg_proto_name("17", b), "udp");
	assert_string_equal(sg_proto_name("1", b), "icmp");
	assert_string_equal(sg_proto_name("58", b), "icmpv6");
	assert_string_equal(sg_proto_name("icmpv6", b), "icmpv6");
	assert_string_equal(sg_proto_name("-1", b), "-1");
	assert_string_equal(sg_proto_name("50", b), "50");
	assert_null(sg_proto_name("256", b));
	assert_null(sg_proto_name("-2", b));
	assert_null(sg_proto_name("IpProtocol", b));
	assert_null(sg_proto_name("", b));
	assert_null(sg_proto_name("+6", b));
}

static void
test_sg_one_rule_per_source(void **state)
{
	struct sg_rules rs = { NULL, 0 };

	(void)state;
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"tcp\",\"FromPort\":443,"
	    "\"ToPort\":443,\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\","
	    "\"Description\":\"a\"},{\"CidrIp\":\"192.168.0.1/31\"}],"
	    "\"Ipv6Ranges\":[{\"CidrIpv6\":\"0::/0\",\"Description\":\"\"}],"
	    "\"PrefixListIds\":[{\"PrefixListId\":\"pl-1\"}],"
	    "\"UserIdGroupPairs\":[{\"GroupId\":\"sg-9\",\"VpcId\":\"vpc-2\","
	    "\"VpcPeeringConnectionId\":\"pcx-1\",\"UserId\":\"1\","
	    "\"PeeringStatus\":\"active\"}]}]", false), 0);
	assert_int_equal(rs.n, 5);
	assert_int_equal(rs.v[0].kind, SG_KIND_CIDR4);
	assert_string_equal(rs.v[0].descs[0], "a");
	assert_int_equal(rs.v[1].plen, 31);
	assert_int_equal(rs.v[1].addr[3], 0);	/* host bit cleared */
	assert_string_equal(rs.v[1].source, "192.168.0.0/31");	/* network */
	assert_int_equal(rs.v[2].kind, SG_KIND_CIDR6);
	assert_int_equal(rs.v[2].ndescs, 0);	/* empty Description */
	assert_string_equal(rs.v[2].source, "::/0");
	assert_int_equal(rs.v[3].kind, SG_KIND_PREFIX_LIST);
	assert_int_equal(rs.v[4].kind, SG_KIND_GROUP);
	assert_string_equal(rs.v[4].pcx_id, "pcx-1");
	assert_string_equal(rs.v[4].vpc_id, "vpc-2");
	assert_string_equal(rs.v[4].origins[0], "sg-o");
	assert_true(rs.v[4].ports);
	assert_int_equal(rs.v[4].from, 443);
	sg_rules_free(&rs);
}

static void
test_sg_protocols_and_ports(void **state)
{
	struct sg_rules rs = { NULL, 0 };
	static const char *cidr = "\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\"}]";
	char buf[512];

	(void)state;
	/* ICMP: type and code, -1 type means all codes. */
	(void)snprintf(buf, sizeof(buf), "[{\"IpProtocol\":\"icmp\","
	    "\"FromPort\":-1,\"ToPort\":4,%s},{\"IpProtocol\":\"1\","
	    "\"FromPort\":3,\"ToPort\":4,%s},{\"IpProtocol\":\"-1\","
	    "\"FromPort\":-1,\"ToPort\":-1,%s},{\"IpProtocol\":\"50\","
	    "\"FromPort\":0,\"ToPort\":9,%s},{\"IpProtocol\":\"6\","
	    "\"FromPort\":0,\"ToPort\":65535,%s}]", cidr, cidr, cidr, cidr, cidr);
	assert_int_equal(perms(&rs, buf, false), 0);
	assert_int_equal(rs.n, 5);
	assert_string_equal(rs.v[0].proto, "icmp");
	assert_int_equal(rs.v[0].to, -1);
	assert_string_equal(rs.v[1].proto, "icmp");
	assert_int_equal(rs.v[1].from, 3);
	assert_int_equal(rs.v[1].to, 4);
	assert_false(rs.v[2].ports);
	assert_false(rs.v[3].ports);	/* other protocols: all ports */
	assert_string_equal(rs.v[4].proto, "tcp");
	sg_rules_free(&rs);
	/* Rejected, each with its path. */
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"tcp\",\"IpRanges\":"
	    "[{\"CidrIp\":\"10.0.0.0/8\"}]}]", false), -1);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"tcp\",\"FromPort\":9,"
	    "\"ToPort\":8,\"IpRanges\":[]}]", false), -1);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"tcp\",\"FromPort\":0,"
	    "\"ToPort\":65536,\"IpRanges\":[]}]", false), -1);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"IpProtocol\"}]", false),
	    -1);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"icmp\",\"FromPort\":"
	    "256,\"ToPort\":0}]", false), -1);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"-1\",\"IpRanges\":"
	    "[{\"CidrIp\":\"10.0.0.0/33\"}]}]", false), -1);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"-1\",\"IpRanges\":"
	    "[{\"CidrIp\":\"::/0\"}]}]", false), -1);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"-1\",\"Ipv6Ranges\":"
	    "[{\"CidrIpv6\":\"10.0.0.0/8\"}]}]", false), -1);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"-1\",\"UserIdGroupPairs\":"
	    "[{\"GroupName\":\"amazon-elb-sg\",\"UserId\":\"amazon-elb\"}]}]",
	    false), -1);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"-1\",\"IpRanges\":{}}]",
	    false), -1);
	assert_int_equal(perms(&rs, "[7]", false), -1);
	sg_rules_free(&rs);
	/* Missing lists (EC2-Classic) are empty. */
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"tcp\",\"FromPort\":1,"
	    "\"ToPort\":2}]", false), 0);
	assert_int_equal(rs.n, 0);
	sg_rules_free(&rs);
}

static void
test_sg_merge_duplicates(void **state)
{
	struct sg_rules rs = { NULL, 0 };

	(void)state;
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"tcp\",\"FromPort\":443,"
	    "\"ToPort\":443,\"IpRanges\":[{\"CidrIp\":\"10.0.10.0/24\","
	    "\"Description\":\"b\"},{\"CidrIp\":\"10.0.9.0/24\"}]},"
	    "{\"IpProtocol\":\"6\",\"FromPort\":443,\"ToPort\":443,"
	    "\"IpRanges\":[{\"CidrIp\":\"10.0.10.0/24\",\"Description\":"
	    "\"a\"}]}]", false), 0);
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"tcp\",\"FromPort\":443,"
	    "\"ToPort\":443,\"IpRanges\":[{\"CidrIp\":\"10.0.10.0/24\"}]}]",
	    true), 0);
	/* Same network written with host bits: the same rule. */
	assert_int_equal(perms(&rs, "[{\"IpProtocol\":\"tcp\",\"FromPort\":443,"
	    "\"ToPort\":443,\"IpRanges\":[{\"CidrIp\":\"10.0.10.7/24\"}]}]",
	    false), 0);
	sg_rules_merge(&rs, false);
	assert_int_equal(rs.n, 3);
	/* Numeric CIDR order, ingress first; Descriptions united. */
	assert_string_equal(rs.v[0].source, "10.0.9.0/24");
	assert_string_equal(rs.v[1].source, "10.0.10.0/24");
	assert_int_equal(rs.v[1].ndescs, 2);
	assert_string_equal(rs.v[1].descs[0], "a");
	assert_string_equal(rs.v[1].descs[1], "b");
	assert_true(rs.v[2].egress);
	sg_rules_free(&rs);
}

static void
test_sg_contained(void **state)
{
	struct sg_rules rs = { NULL, 0 };

	(void)state;
	assert_int_equal(perms(&rs, "["
	    "{\"IpProtocol\":\"tcp\",\"FromPort\":8080,\"ToPort\":8080,"
	    "\"IpRanges\":[{\"CidrIp\":\"10.1.0.0/16\"}]},"
	    "{\"IpProtocol\":\"tcp\",\"FromPort\":8000,\"ToPort\":8100,"
	    "\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\"}]},"
	    "{\"IpProtocol\":\"tcp\",\"FromPort\":9000,\"ToPort\":9000,"
	    "\"IpRanges\":[{\"CidrIp\":\"10.1.0.0/16\"}]},"
	    "{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,"
	    "\"IpRanges\":[{\"CidrIp\":\"10.0.0.1/8\"}]},"
	    "{\"IpProtocol\":\"icmp\",\"FromPort\":3,\"ToPort\":4,"
	    "\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\"}]},"
	    "{\"IpProtocol\":\"icmp\",\"FromPort\":3,\"ToPort\":-1,"
	    "\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\"}]},"
	    "{\"IpProtocol\":\"udp\",\"FromPort\":53,\"ToPort\":53,"
	    "\"PrefixListIds\":[{\"PrefixListId\":\"pl-1\"}]}"
	    "]", false), 0);
	sg_rules_merge(&rs, true);
	assert_int_equal(rs.n, 7);
	/* Order: icmp 3/-1, icmp 3/4, tcp 22, 8000-8100, 8080, 9000, udp. */
	assert_int_equal(rs.v[0].to, -1);
	assert_int_equal(rs.v[0].container, -1);
	assert_int_equal(rs.v[1].container, 0);	/* code 4 inside all codes */
	assert_int_equal(rs.v[2].container, -1);	/* other ports */
	assert_int_equal(rs.v[3].container, -1);
	assert_int_equal(rs.v[4].from, 8080);
	assert_int_equal(rs.v[4].container, 3);	/* wider CIDR and ports */
	assert_int_equal(rs.v[5].container, -1);	/* outside 8000-8100 */
	assert_int_equal(rs.v[6].container, -1);
	assert_true(sg_rule_contains(&rs.v[3], &rs.v[4]));
	assert_false(sg_rule_contains(&rs.v[4], &rs.v[3]));
	sg_rules_free(&rs);
}

/*
 * The real-world corpus: every file is read, or rejected with a message
 * that names the file, a JSON path and the reason (the substring below).
 */
static const struct {
	const char	*file;
	const char	*error;		/* NULL: must be read */
} realworld[] = {
	{ "awscli-describe-security-group-rules-ipv6-egress.json",
	  ": $: this is `aws ec2 describe-security-group-rules` output" },
	{ "awscli-describe-security-groups-self-ref-trailing-comma.json",
	  "trailing comma" },
	{ "boto3-dumps-ipv6-desc-restricted-egress.json", NULL },
	{ "c7n-egress-sg-reference.json", NULL },
	{ "c7n-icmp-self-xsg-egress-rules.json", NULL },
	{ "c7n-prefixlist-no-egress-egress-self.json", NULL },
	{ "c7n-vpc-peering-reference.json", NULL },
	{ "cloudmapper-demo-tiered-sg-chain.json", NULL },
	{ "ec2classic-amazon-elb-userid-no-vpcid.json", NULL },
	{ "real-mhanberry-566-groups-peering-stale-icmp-types.json", NULL },
	{ "sgviz-cli-skeleton-placeholder-values.json",
	  ".IpPermissions[0].IpProtocol: \"IpProtocol\" is not a protocol" },
	{ "sgviz-sample-ipv6-prefixlist-13digit-owner.json", NULL },
	{ NULL, NULL }
};

/* Run one file with stderr captured into err. Returns 0 or -1. */
static int
realworld_read(const char *path, char *err, size_t errlen, size_t *ngroups,
    size_t *nrules)
{
	struct export *ex = export_new();
	struct sg_rules rs = { NULL, 0 };
	char *buf = NULL;
	size_t len, i, n;
	FILE *tmp = tmpfile();
	int saved, rc = -1;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	if (fsio_read_bounded(&buf, &len, path, FSIO_MAX_INPUT) == 0 &&
	    export_parse(ex, path, buf, len) == 0) {
		rc = 0;
		for (i = 0; i < ex->nsgs; i++)
			if (sg_group_parse(&rs, &ex->sgs[i]) == -1)
				rc = -1;
	}
	*ngroups = ex->nsgs;
	*nrules = rs.n;
	if (rc == 0)
		sg_rules_merge(&rs, true);	/* quadratic: must stay fast */
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(err, 1, errlen - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	sg_rules_free(&rs);
	export_free(ex);
	free(buf);
	return rc;
}

static void
test_sg_realworld_all(void **state)
{
	DIR *d = opendir(RW_DIR);
	struct dirent *de;
	char *err = xmalloc(ERR_MAX), *path;
	size_t i, ng, nr, nfiles = 0;
	int rc;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		for (i = 0; realworld[i].file != NULL; i++)
			if (strcmp(realworld[i].file, de->d_name) == 0)
				break;
		if (realworld[i].file == NULL)
			fail_msg("%s: not in the test's table", de->d_name);
		path = xasprintf("%s/%s", RW_DIR, de->d_name);
		rc = realworld_read(path, err, ERR_MAX, &ng, &nr);
		if (realworld[i].error == NULL) {
			if (rc != 0)
				fail_msg("%s: rejected: %s", path, err);
			assert_true(ng > 0);
			assert_true(nr > 0);
			if (strcmp(de->d_name, "real-mhanberry-566-groups-"
			    "peering-stale-icmp-types.json") == 0)
				assert_int_equal(ng, 566);
		} else {
			if (rc == 0)
				fail_msg("%s: read, but should be rejected",
				    path);
			/* File, JSON path or position, reason. */
			if (strstr(err, path) == NULL ||
			    strstr(err, realworld[i].error) == NULL)
				fail_msg("%s: unclear message: %s", path, err);
		}
		free(path);
		nfiles++;
	}
	closedir(d);
	free(err);
	assert_int_equal(nfiles, 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sg_proto_names),
		cmocka_unit_test(test_sg_one_rule_per_source),
		cmocka_unit_test(test_sg_protocols_and_ports),
		cmocka_unit_test(test_sg_merge_duplicates),
		cmocka_unit_test(test_sg_contained),
		cmocka_unit_test(test_sg_realworld_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
