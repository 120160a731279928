/*
 * Basic authentication in the configuration: auth_basic and
 * auth_basic_file of listeners and routes. The check pairs them, loads
 * each htpasswd file once per generation (the master reads it, workers
 * inherit it and never open it) and writes the challenge a 401 carries,
 * its realm escaped once here rather than per request.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/htpasswd.h"
#include "common/util.h"

#define REALM_MAX	200	/* bytes of a realm, as written */

/* A file named by some section, loaded or not, during one check. */
struct auth_seen {
	const char	*path;
	struct htpasswd	*users;		/* NULL: it failed */
};

/* Where a load's messages go: the line that named the file. */
struct auth_where {
	struct config		*cfg;
	const struct cfg_where	*where;
};

static void	auth_check_one(struct config *, struct cfg_section *,
		    struct cfg_auth *, struct auth_seen *, size_t *);
static struct htpasswd *auth_load(struct config *, const char *,
		    const struct cfg_where *, struct auth_seen *, size_t *);
static void	auth_load_error(void *, const char *);
static void	auth_challenge(struct cfg_auth *);

/*
 * "auth_basic = REALM" or "off". The realm is the rest of the line,
 * quotes included; control characters are refused, as a header value
 * cannot hold them.
 */
enum cfg_set_result
cfg_set_auth_basic(struct cfg_auth *a, const char *v)
{
	if (strcmp(v, "off") == 0) {
		free(a->realm);
		a->realm = NULL;
		a->off = true;
		return CFG_OK;
	}
	if (strlen(v) > REALM_MAX)
		return CFG_BAD;
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return CFG_BAD;
	a->off = false;
	return cfg_set_str(&a->realm, v);
}

/*
 * Second pass, after the listeners and routes are read: each section
 * that sets one of the two keys sets both (or turns it off), and each
 * file loads. A route that sets neither takes its listener's, at run
 * time, as a route may serve several listeners.
 */
void
cfg_auth_check(struct config *cfg)
{
	struct auth_seen	*seen;
	size_t			 nseen = 0;

	seen = xcalloc(cfg->nlisteners + cfg->nroutes + 1, sizeof(*seen));
	for (size_t i = 0; i < cfg->nlisteners; i++)
		auth_check_one(cfg, &cfg->listeners[i]->sec,
		    &cfg->listeners[i]->auth, seen, &nseen);
	for (size_t i = 0; i < cfg->nroutes; i++)
		auth_check_one(cfg, &cfg->routes[i]->sec,
		    &cfg->routes[i]->auth, seen, &nseen);
	for (size_t i = 0; i < nseen; i++) {
		if (seen[i].users == NULL)
			continue;
		cfg->htpasswds = xrealloc(cfg->htpasswds, cfg->nhtpasswds + 1,
		    sizeof(*cfg->htpasswds));
		cfg->htpasswds[cfg->nhtpasswds++] = seen[i].users;
	}
	free(seen);
}

void
cfg_auth_free(struct cfg_auth *a)
{
	free(a->realm);
	free(a->file);
	free(a->challenge);
}

/* Helpers. */

static void
auth_check_one(struct config *cfg, struct cfg_section *sec,
    struct cfg_auth *a, struct auth_seen *seen, size_t *nseen)
{
	const struct cfg_where	*rw, *fw;
	char			 label[300];

	rw = cfg_key_where(sec, "auth_basic");
	fw = cfg_key_where(sec, "auth_basic_file");
	cfg_section_label(sec, label, sizeof(label));
	if (a->off) {
		if (fw != NULL)
			cfg_warn_at(cfg, fw, "warning: auth_basic_file in %s "
			    "is not used: auth_basic is off", label);
		return;
	}
	if (a->realm == NULL && a->file == NULL)
		return;
	if (a->realm == NULL) {
		cfg_error_at(cfg, fw, "auth_basic_file in %s needs "
		    "auth_basic (a realm, or off)", label);
		return;
	}
	if (a->file == NULL) {
		cfg_error_at(cfg, rw, "auth_basic in %s needs auth_basic_file",
		    label);
		return;
	}
	if ((a->users = auth_load(cfg, a->file, fw, seen, nseen)) == NULL)
		return;
	auth_challenge(a);
}

/*
 * The file at path, loaded once per check: a second section naming it
 * shares it, and its errors (or its emptiness) are told once.
 */
static struct htpasswd *
auth_load(struct config *cfg, const char *path, const struct cfg_where *w,
    struct auth_seen *seen, size_t *nseen)
{
	struct auth_where	 aw = { cfg, w };
	struct htpasswd		*h;

	for (size_t i = 0; i < *nseen; i++)
		if (strcmp(seen[i].path, path) == 0)
			return seen[i].users;
	h = htpasswd_load(path, auth_load_error, &aw);
	seen[*nseen].path = path;
	seen[(*nseen)++].users = h;
	if (h != NULL && htpasswd_count(h) == 0)
		cfg_warn_at(cfg, w, "warning: auth_basic_file %s has no users: "
		    "every request there gets 401", path);
	return h;
}

/* msg is "path:line: problem" (or "path: problem"). */
static void
auth_load_error(void *arg, const char *msg)
{
	struct auth_where	*aw = arg;

	cfg_error_at(aw->cfg, aw->where, "auth_basic_file %s", msg);
}

/*
 * The WWW-Authenticate line (RFC 7617): the realm as a quoted-string,
 * '"' and '\' escaped; charset tells the client to send UTF-8.
 */
static void
auth_challenge(struct cfg_auth *a)
{
	static const char	 pre[] = "WWW-Authenticate: Basic realm=\"";
	static const char	 post[] = "\", charset=\"UTF-8\"\r\n";
	size_t			 n = 0;
	char			*p;

	p = xmalloc(sizeof(pre) + 2 * strlen(a->realm) + sizeof(post));
	memcpy(p, pre, sizeof(pre) - 1);
	n = sizeof(pre) - 1;
	for (const char *s = a->realm; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			p[n++] = '\\';
		p[n++] = *s;
	}
	memcpy(p + n, post, sizeof(post));
	a->challenge = p;
	a->challenge_len = n + sizeof(post) - 1;
}
