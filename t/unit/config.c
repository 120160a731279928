/*
 * Unit tests for the config loader: messages with file:line, the line
 * counting reader in front of inih, includes. Files go to a temp dir.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "t/unit/tap.h"

static char	dir[] = "/tmp/frontd-unit-XXXXXX";

static char *
put(const char *name, const char *text)
{
	static char	path[512];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

static bool
has_error(const struct config *cfg, const char *suffix)
{
	for (size_t i = 0; i < cfg->nerrors; i++) {
		const char *e = cfg->errors[i], *p = strstr(e, ": ");

		/* Compare from "LINE: ..." on, whatever the dir is. */
		p = strrchr(e, '/');
		if (p != NULL && strcmp(p + 1, suffix) == 0)
			return true;
	}
	for (size_t i = 0; i < cfg->nerrors; i++)
		printf("# got: %s\n", cfg->errors[i]);
	return false;
}

#define GOOD "[listener a]\naddress = 127.0.0.1:8080\n" \
	"[upstream app]\nserver = 127.0.0.1:9000\n[route r]\nupstream = app\n"

int
main(void)
{
	struct config	*cfg;
	char		 big[5000], *p;

	if (mkdtemp(dir) == NULL)
		return 1;

	cfg = config_load(put("good.conf", "; comment\n[global]\n"
	    "workers = 3\nshutdown_timeout = 5m ; inline\n" GOOD));
	ok(cfg->nerrors == 0, "good config loads");
	ok(cfg->global.workers == 3, "workers = 3");
	ok(cfg->global.shutdown_timeout_ms == 300000, "shutdown_timeout 5m");
	ok(cfg->nlisteners == 1 && cfg->listeners[0]->backlog == 511,
	    "backlog defaults to 511");
	ok(cfg->nroutes == 1 && cfg->routes[0]->upstream == 0,
	    "route resolves its upstream");
	config_free(cfg);

	cfg = config_load(put("typo.conf", GOOD "uptream = app\n"));
	ok(has_error(cfg, "typo.conf:7: unknown key \"uptream\" in [route r] "
	    "(did you mean \"upstream\"?)"), "typo gets a hint and a line");
	config_free(cfg);

	memset(big, 'x', sizeof(big));
	memcpy(big, "[global]\nuser = ", 16);
	big[4200] = '\n';
	big[4201] = '\0';
	cfg = config_load(put("long.conf", big));
	ok(has_error(cfg, "long.conf:2: line too long (more than 4096 bytes)"),
	    "an over-long line is an error, not a split");
	config_free(cfg);

	/* A 300-byte value is beyond stock inih's 200 but fine here. */
	p = big;
	p += sprintf(p, "[global]\npid_file = /");
	memset(p, 'p', 300);
	strcpy(p + 300, "\n" GOOD);
	cfg = config_load(put("longok.conf", big));
	ok(cfg->nerrors == 0 && strlen(cfg->global.pid_file) == 301,
	    "a 300-byte value is read whole");
	config_free(cfg);

	put("inc.conf", "[upstream other]\nserver = 127.0.0.1:9001\n"
	    "bogus = 1\n");
	cfg = config_load(put("main.conf", GOOD "include = inc.conf\n"
	    "[route s]\nupstream = other\n"));
	ok(has_error(cfg, "inc.conf:3: unknown key \"bogus\" in "
	    "[upstream other]"), "errors in includes name the included file");
	ok(cfg->nroutes == 2 && cfg->routes[1]->upstream == 1,
	    "included upstream is usable");
	config_free(cfg);

	cfg = config_load(put("self.conf", GOOD "include = self.conf\n"));
	ok(has_error(cfg, "self.conf:7: include \"self.conf\" includes itself"),
	    "self include is refused");
	config_free(cfg);

	cfg = config_load(put("glob.conf", GOOD "include = nothing/*.conf\n"));
	ok(cfg->nerrors == 0, "a glob that matches nothing is fine");
	config_free(cfg);

	cfg = config_load(put("miss.conf", GOOD "[route x]\nupstream = ap\n"));
	ok(has_error(cfg, "miss.conf:8: upstream \"ap\" in [route x] is not "
	    "defined"), "missing upstream named with its line");
	config_free(cfg);

	cfg = config_load(put("dup.conf", GOOD "[listener b]\n"
	    "address = 127.0.0.1:8080\n"));
	ok(cfg->nerrors == 1 && strstr(cfg->errors[0], "dup.conf:8: address "
	    "127.0.0.1:8080 in [listener b] is already used by [listener a] "
	    "(") != NULL, "duplicate listener address");
	config_free(cfg);

	cfg = config_load(put("syntax.conf", "[global\nworkers\n" GOOD));
	ok(has_error(cfg, "syntax.conf:1: syntax error (expected [section] or "
	    "key = value)") && has_error(cfg, "syntax.conf:2: syntax error "
	    "(expected [section] or key = value)"), "syntax errors, all of them");
	config_free(cfg);

	cfg = config_load(put("empty.conf", "[listener e]\n[upstream u]\n"
	    "[route r]\n"));
	ok(cfg->nerrors == 3, "empty sections are each reported (%zu)",
	    cfg->nerrors);
	config_free(cfg);

	return tap_done();
}
