/*
 * Unit tests for config_diff(): two configurations loaded from files in a
 * temp dir, and the lines and summary that say what changed between them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/config_diff.h"
#include "t/unit/tap.h"

static char	dir[] = "/tmp/frontd-unit-XXXXXX";

#define BASE "[listener a]\naddress = 127.0.0.1:8080\n" \
	"[upstream app]\nserver = 127.0.0.1:9000\n"

static struct config *
load(const char *name, const char *text)
{
	char		 path[512];
	FILE		*fp;
	struct config	*cfg;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	cfg = config_load(path);
	for (size_t i = 0; i < cfg->nerrors; i++)
		printf("# %s: %s\n", name, cfg->errors[i]);
	unlink(path);
	return cfg;
}

/*
 * Whether the changes from a to b are the lines want (joined by "\n")
 * with the summary sum.
 */
static bool
diff_is(const char *a, const char *b, const char *want, const char *sum)
{
	struct config		*old = load("old.conf", a);
	struct config		*new = load("new.conf", b);
	struct config_diff	*d;
	char			 got[4096];
	size_t			 o = 0;
	bool			 r;

	if (old->nerrors > 0 || new->nerrors > 0) {
		config_free(old);
		config_free(new);
		return false;
	}
	d = config_diff(old, new);
	got[0] = '\0';
	for (size_t i = 0; i < d->nlines; i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
		    i > 0 ? "\n" : "", d->lines[i]);
	r = strcmp(got, want) == 0 && strcmp(d->summary, sum) == 0;
	if (!r)
		printf("# got:\n# %s\n# summary: %s\n", got, d->summary);
	config_diff_free(d);
	config_free(old);
	config_free(new);
	return r;
}

int
main(void)
{
	char	long_body[200];

	if (mkdtemp(dir) == NULL)
		return 1;

	ok(diff_is(BASE "[route r]\nupstream = app\n",
	    BASE "[route r]\nupstream = app\n", "", "no change"),
	    "the same files: no change");
	ok(diff_is("[global]\nshutdown_timeout = 30s\nmax_request_line = 8K\n"
	    BASE "upstream_read_timeout = 1m\n[route r]\nupstream = app\n",
	    "[global]\nshutdown_timeout = 30000ms\n"
	    "max_request_line = 8192\n" BASE "upstream_read_timeout = 60s\n"
	    "[route r]\nupstream = app\n", "", "no change"),
	    "typed values compared as values: 30s is 30000ms, 8K is 8192");
	ok(diff_is(BASE "[route r]\nupstream = app\n",
	    BASE "keepalive = 8\n[route r]\nupstream = app\ngzip_level = 9\n"
	    "client_max_body_size = 5G\n",
	    "route r changed: gzip_level 5 -> 9, client_max_body_size "
	    "(unset) -> 5G\n"
	    "upstream app changed: keepalive 32 -> 8",
	    "1 route changed, 1 upstream changed"),
	    "an unset typed key shows its default");
	ok(diff_is(BASE "[route r]\nhost = a.example\nupstream = app\n"
	    "set_response_header = X-Key: secret1\n",
	    BASE "[route r]\nhost = a.example\nhost = b.example\n"
	    "upstream = app\nset_response_header = X-Key: secret2\n",
	    "route r changed: host a.example -> a.example, b.example, "
	    "set_response_header changed", "1 route changed"),
	    "a list shown comma-separated; a header value never shown");
	memset(long_body, 'x', sizeof(long_body) - 1);
	long_body[sizeof(long_body) - 1] = '\0';
	{
		char	a[512], b[512];

		snprintf(a, sizeof(a), BASE "[route r]\nreturn = 200 %s\n",
		    long_body);
		snprintf(b, sizeof(b), BASE "[route r]\nreturn = 200 y%s\n",
		    long_body);
		ok(diff_is(a, b, "route r changed: return changed",
		    "1 route changed"), "a long value is only said to change");
	}
	ok(diff_is(BASE "[route r]\nupstream = app\n",
	    BASE "[route s]\nupstream = app\n",
	    "route s added\nroute r removed", "1 route added, 1 route removed"),
	    "a route renamed is one added and one removed");
	ok(diff_is(BASE "server = 127.0.0.1:9001 weight=2\n"
	    "server = 127.0.0.1:9002\n[route r]\nupstream = app\n",
	    BASE "server = 127.0.0.1:9001 weight=2 backup max_conns=10 "
	    "proxy_protocol=v1\nserver = 127.0.0.1:9003 weight=3 down\n"
	    "[route r]\nupstream = app\n",
	    "upstream app: server 127.0.0.1:9001 changed: now a backup, "
	    "max_conns 0 -> 10, proxy_protocol off -> v1\n"
	    "upstream app: server 127.0.0.1:9003 added (weight 3, down)\n"
	    "upstream app: server 127.0.0.1:9002 removed",
	    "1 server added, 1 server removed, 1 server changed"),
	    "servers: options and state");
	ok(diff_is(BASE "[route r]\npath = /a/\nupstream = app\n"
	    "[route s]\npath = /s/\nupstream = app\n[route t]\n"
	    "path = /t/\nupstream = app\n",
	    BASE "[route s]\npath = /s/\nupstream = app\n[route new]\n"
	    "path = /n/\nupstream = app\n"
	    "[route r]\npath = /a/\nupstream = app\n",
	    "route new added\nroute t removed\nroute order changed",
	    "1 route added, 1 route removed, route order changed"),
	    "routes in another order");
	ok(diff_is(BASE "[route r]\npath = /r/\nupstream = app\n"
	    "[route t]\nupstream = app\n",
	    BASE "[route new]\npath = /n/\nupstream = app\n"
	    "[route t]\nupstream = app\n",
	    "route new added\nroute r removed",
	    "1 route added, 1 route removed"),
	    "a route added before the others is not an order change");
	ok(diff_is("[global]\ncache_size = 64M\n" BASE
	    "[route r]\nupstream = app\n",
	    "[global]\ncache_size = 32M\n" BASE
	    "[route r]\nupstream = app\n",
	    "global changed: cache_size 64M -> 32M", "global changed"),
	    "a default that follows another key is not a change of its own");
	ok(diff_is(BASE "[route r]\nupstream = app\n",
	    "[global]\nhttp2_max_concurrent_streams = 64\n"
	    "http2_idle_timeout = 75s\nhttp2_max_resets = 50\n"
	    "[listener a]\naddress = 127.0.0.1:8080\nhttp2 = on\n"
	    "[upstream app]\nserver = 127.0.0.1:9000\n"
	    "[route r]\nupstream = app\n",
	    "listener a changed: http2 off -> on\n"
	    "global changed: http2_max_concurrent_streams 128 -> 64, "
	    "http2_max_resets 100 -> 50",
	    "1 listener changed, global changed"),
	    "http2 keys: an idle timeout equal to keepalive_timeout is none");
	ok(diff_is(BASE "[route r]\nupstream = app\n",
	    "[global]\nkeepalive_timeout = 7s\n" BASE
	    "[route r]\nupstream = app\n",
	    "global changed: keepalive_timeout 75s -> 7s", "global changed"),
	    "http2_idle_timeout unset follows keepalive_timeout silently");

	rmdir(dir);
	return tap_done();
}
