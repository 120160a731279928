/* Unit tests for common/config_value.c and common/addr.c. */
#include <stdint.h>
#include <stdlib.h>

#include "common/addr.h"
#include "common/config_value.h"
#include "t/unit/tap.h"

static const struct {
	const char	*in;
	int		 rc;
	int64_t		 ms;
} durations[] = {
	{ "500ms", 0, 500 }, { "30s", 0, 30000 }, { "2m", 0, 120000 },
	{ "1h", 0, 3600000 }, { "15", 0, 15000 }, { "0s", 0, 0 },
	{ "5x", -1, 0 }, { "", -1, 0 }, { "-1s", -1, 0 }, { "1.5s", -1, 0 },
	{ "s", -1, 0 }, { "10 s", -1, 0 }, { "99999999999999999999s", -1, 0 },
	{ "1ms2", -1, 0 },
};

static const struct {
	const char	*in;
	int		 rc;
	uint64_t	 bytes;
} sizes[] = {
	{ "512", 0, 512 }, { "64K", 0, 65536 }, { "64k", 0, 65536 },
	{ "256M", 0, 268435456ULL }, { "1G", 0, 1073741824ULL },
	{ "1T", -1, 0 }, { "K", -1, 0 }, { "1.5M", -1, 0 }, { "-1", -1, 0 },
	{ "20000000000G", -1, 0 }, { "10KB", -1, 0 },
};

static const struct {
	const char	*in;
	int		 rc;
	const char	*out;
} addrs[] = {
	{ "127.0.0.1:8080", 0, "127.0.0.1:8080" },
	{ "*:80", 0, "0.0.0.0:80" },
	{ "[::1]:443", 0, "[::1]:443" },
	{ "[::]:8080", 0, "[::]:8080" },
	{ "0.0.0.0:65535", 0, "0.0.0.0:65535" },
	{ "127.0.0.1:0", -1, NULL },
	{ "127.0.0.1:65536", -1, NULL },
	{ "127.0.0.1", -1, NULL },
	{ "1.2.3:80", -1, NULL },
	{ "::1:80", -1, NULL },
	{ "[::1]80", -1, NULL },
	{ "[1.2.3.4]:80", -1, NULL },
	{ "localhost:80", -1, NULL },	/* listeners take numbers only */
	{ "127.0.0.1:8o", -1, NULL },
	{ ":80", -1, NULL },
};

int
main(void)
{
	char		buf[64];
	int64_t		ms;
	uint64_t	b;
	long		l;
	bool		on;
	struct addr	a;

	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		ms = -7;
		int rc = cfg_parse_duration(durations[i].in, &ms);

		ok(rc == durations[i].rc && (rc != 0 || ms == durations[i].ms),
		    "duration \"%s\" -> %s %lld", durations[i].in,
		    durations[i].rc ? "error" : "ok",
		    (long long)durations[i].ms);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int rc = cfg_parse_size(sizes[i].in, &b);

		ok(rc == sizes[i].rc && (rc != 0 || b == sizes[i].bytes),
		    "size \"%s\" -> %s %llu", sizes[i].in,
		    sizes[i].rc ? "error" : "ok",
		    (unsigned long long)sizes[i].bytes);
	}
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		int rc = addr_parse(&a, addrs[i].in, false, NULL, 0);

		if (rc == 0)
			addr_format(&a, buf, sizeof(buf));
		ok(rc == addrs[i].rc && (rc != 0 ||
		    strcmp(buf, addrs[i].out) == 0), "address \"%s\" -> %s",
		    addrs[i].in, addrs[i].out ? addrs[i].out : "error");
	}
	ok(addr_parse(&a, "localhost:80", true, buf, sizeof(buf)) == 0 &&
	    addr_port(&a) == 80, "server host names resolve");

	ok(cfg_parse_int("256", 1, 256, &l) == 0 && l == 256, "int at max");
	ok(cfg_parse_int("257", 1, 256, &l) == -1, "int over max");
	ok(cfg_parse_int("0", 1, 256, &l) == -1, "int under min");
	ok(cfg_parse_int("12a", 1, 256, &l) == -1, "int with junk");
	ok(cfg_parse_bool("on", &on) == 0 && on, "bool on");
	ok(cfg_parse_bool("off", &on) == 0 && !on, "bool off");
	ok(cfg_parse_bool("maybe", &on) == -1, "bool maybe");
	ok(cfg_edit_distance("uptream", "upstream") == 1, "edit distance 1");
	ok(cfg_edit_distance("workers", "workers") == 0, "edit distance 0");
	ok(cfg_valid_name("api-v2.internal_1"), "valid section name");
	ok(!cfg_valid_name("a b"), "space in a section name");
	return tap_done();
}
