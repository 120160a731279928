/*
 * Unit tests for the config loader: messages with file:line, the line
 * counting reader in front of inih, includes, the typed key rows. Files go
 * to a temp dir.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/config_int.h"
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

/*
 * Whether a typed row fits the field it names: the generic setter stores
 * by the field's size, so a row of the wrong type would abort a load.
 */
static bool
row_fits(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_T_FN:
		return k->set != NULL && k->off == 0 && k->size == 0;
	case CFG_T_BOOL:
		return k->size == sizeof(bool);
	case CFG_T_INT:
		return (k->size == 4 && k->max <= INT32_MAX) || k->size == 8;
	case CFG_T_DURATION:
		return k->size == sizeof(int64_t);
	case CFG_T_SIZE:
		return (k->size == 4 && k->max != 0 && k->max <= UINT32_MAX) ||
		    k->size == 8;
	case CFG_T_ENUM:
		return k->names != NULL && k->size == sizeof(int);
	case CFG_T_STR:
	case CFG_T_PATH:
		return k->size == sizeof(char *);
	}
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

	for (const struct cfg_section_type *t = cfg_section_types;
	    t->kind != NULL; t++) {
		int bad = 0, n = 0;

		for (; t->keys[n].name != NULL; n++)
			if (!row_fits(&t->keys[n])) {
				printf("# row %s of [%s] does not fit its "
				    "field\n", t->keys[n].name, t->kind);
				bad++;
			} else if (t->keys[n].type != CFG_T_FN &&
			    t->keys[n].set != NULL)
				bad++;
		ok(bad == 0 && n <= CFG_MAX_KEYS, "[%s]: %d rows, each fits "
		    "its field", t->kind, n);
	}

	cfg = config_load(put("typed.conf", "[global]\nmax_request_line = 64K\n"
	    "max_headers = 256\ncache_lock_timeout = 1h\nlog_level = warn\n"
	    "sandbox = off\nclient_max_body_size = 5G\n" GOOD
	    "gzip_level = 9\ntunnel_timeout = 2m\n"));
	ok(cfg->nerrors == 0 && cfg->global.max_request_line == 65536 &&
	    cfg->global.max_headers == 256 &&
	    cfg->global.cache_lock_timeout_ms == 3600000 &&
	    cfg->global.log_level == LOG_LVL_WARN && !cfg->global.sandbox &&
	    cfg->global.client_max_body_size == UINT64_C(5) << 30 &&
	    cfg->routes[0]->gzip_level == 9 &&
	    cfg->routes[0]->tunnel_timeout_ms == 120000,
	    "typed rows store their values");
	config_free(cfg);

	cfg = config_load(put("bounds.conf", "[global]\n"
	    "max_request_line = 65K\ncache_lock_timeout = 61m\n" GOOD
	    "[upstream v]\nserver = 127.0.0.1:9002\nhealth_timeout = 9ms\n"));
	ok(has_error(cfg, "bounds.conf:2: bad max_request_line \"65K\" in "
	    "[global] (expected a size from 256 to 64K)") &&
	    has_error(cfg, "bounds.conf:3: bad cache_lock_timeout \"61m\" in "
	    "[global] (expected a duration from 1ms to 1h)") &&
	    has_error(cfg, "bounds.conf:12: bad health_timeout \"9ms\" in "
	    "[upstream v] (expected a duration of at least 10ms)"),
	    "typed rows keep their bounds");
	config_free(cfg);

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
