/*
 * The [listener NAME] sections: their keys, defaults, checks and freeing.
 * Each address is bound once across all listeners; TLS keys are refused
 * on a listener without tls = on, and its certificates are loaded here.
 * http2 left unset follows tls.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/tls.h"
#include "common/util.h"

static void	check_listener_tls(struct config *, struct cfg_listener *);
static void	check_listener_proxy(struct config *, struct cfg_listener *);

static enum cfg_set_result
l_address(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;
	struct addr		 a;
	char			 err[128], label[300];

	if (addr_parse(&a, v, false, err, sizeof(err)) == -1) {
		li->addr_refused = true;
		if (err[0] == '\0')
			return CFG_BAD;
		cfg_error(ctx, "bad address \"%s\" in %s: %s", v,
		    cfg_section_label(&li->sec, label, sizeof(label)), err);
		return CFG_REPORTED;
	}
	li->addrs = xrealloc(li->addrs, li->naddrs + 1, sizeof(*li->addrs));
	li->addr_where = xrealloc(li->addr_where, li->naddrs + 1,
	    sizeof(*li->addr_where));
	li->addrs[li->naddrs] = a;
	li->addr_where[li->naddrs++] = cfg_ctx_where(ctx);
	return CFG_OK;
}

static enum cfg_set_result
l_allow(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_acl(v, &((struct cfg_listener *)obj)->acl, true);
}

static enum cfg_set_result
l_deny(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_acl(v, &((struct cfg_listener *)obj)->acl, false);
}

static enum cfg_set_result
l_auth_basic(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_auth_basic(&((struct cfg_listener *)obj)->auth, v);
}

static enum cfg_set_result
l_real_ip_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_field_name(&((struct cfg_listener *)obj)->real_ip_header,
	    v);
}

static enum cfg_set_result
l_proxy_protocol_from(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;

	return cfg_set_cidrs(v, &li->proxy_protocol_from,
	    &li->nproxy_protocol_from);
}

/* certificate and certificate_key come in pairs, in that order. */
static enum cfg_set_result
l_certificate(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;
	struct cfg_cert		*c;

	if (*v != '/')
		return CFG_BAD;
	li->certs = xrealloc(li->certs, li->ncerts + 1, sizeof(*c));
	c = &li->certs[li->ncerts++];
	memset(c, 0, sizeof(*c));
	c->cert_file = xstrdup(v);
	c->cert_where = cfg_ctx_where(ctx);
	return CFG_OK;
}

static enum cfg_set_result
l_certificate_key(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;
	struct cfg_cert		*c;

	if (*v != '/')
		return CFG_BAD;
	if (li->ncerts == 0 || li->certs[li->ncerts - 1].key_file != NULL) {
		cfg_error(ctx, "certificate_key \"%s\" has no certificate line "
		    "before it (write each certificate, then its key)", v);
		return CFG_REPORTED;
	}
	c = &li->certs[li->ncerts - 1];
	c->key_file = xstrdup(v);
	c->key_where = cfg_ctx_where(ctx);
	return CFG_OK;
}

static enum cfg_set_result
l_tls_protocols(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;
	char			*copy = xstrdup(v), *tok, *save = NULL;
	int			 min = 0, max = 0, ver;
	enum cfg_set_result	 r = CFG_OK;

	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "TLSv1.2") == 0)
			ver = TLS1_2_VERSION;
		else if (strcmp(tok, "TLSv1.3") == 0)
			ver = TLS1_3_VERSION;
		else if (strcmp(tok, "TLSv1") == 0 ||
		    strcmp(tok, "TLSv1.1") == 0 || strcmp(tok, "SSLv3") == 0) {
			cfg_error(ctx, "%s in tls_protocols is not supported, "
			    "insecure (use TLSv1.2 and TLSv1.3)", tok);
			r = CFG_REPORTED;
			break;
		} else {
			r = CFG_BAD;
			break;
		}
		if (min == 0 || ver < min)
			min = ver;
		if (ver > max)
			max = ver;
	}
	free(copy);
	if (r == CFG_OK && min == 0)
		r = CFG_BAD;
	if (r == CFG_OK) {
		li->tls_min = min;
		li->tls_max = max;
	}
	return r;
}

static enum cfg_set_result
l_hsts(struct cfg_ctx *ctx, void *obj, const char *v)
{
	if (strncmp(v, "max-age=", 8) != 0 || strlen(v) > 512)
		return CFG_BAD;
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			return CFG_BAD;
	return cfg_set_str(&((struct cfg_listener *)obj)->hsts, v);
}

static enum cfg_set_result
l_set_response_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;

	return cfg_header_op_add(ctx, &li->set_resp, &li->nset_resp, v, true);
}

static enum cfg_set_result
l_remove_response_header(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;

	return cfg_header_op_add(ctx, &li->remove_resp, &li->nremove_resp, v,
	    false);
}

static enum cfg_set_result
l_security_headers(struct cfg_ctx *ctx, void *obj, const char *v)
{
	return cfg_set_inherited_flag(
	    &((struct cfg_listener *)obj)->security_headers, v);
}

static enum cfg_set_result
l_rate_limit(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;

	return cfg_set_rate_limit(ctx, &li->sec, &li->limits, v);
}

static enum cfg_set_result
l_limit_conn(struct cfg_ctx *ctx, void *obj, const char *v)
{
	struct cfg_listener	*li = obj;

	return cfg_set_limit_conn(ctx, &li->sec, &li->limits, v);
}

#define ONOFF		"on or off"
#define PATH		"an absolute path"

#define L(field)	CFG_FIELD(struct cfg_listener, field)

static const char *const verify_names[] = { "off", "optional", "on", NULL };

const struct cfg_key cfg_listener_keys[] = {
	{ "address", CFG_LIST, CFG_T_FN, .set = l_address,
	    .expect = "HOST:PORT, [IPv6]:PORT or *:PORT" },
	{ "backlog", CFG_ONE, CFG_T_INT, L(backlog), .min = 1, .max = 65535,
	    .expect = "a number from 1 to 65535" },
	{ "tls", CFG_ONE, CFG_T_BOOL, L(tls), .expect = ONOFF },
	{ "certificate", CFG_LIST, CFG_T_FN, .set = l_certificate,
	    .expect = PATH },
	{ "certificate_key", CFG_LIST, CFG_T_FN, .set = l_certificate_key,
	    .expect = PATH },
	{ "tls_protocols", CFG_ONE, CFG_T_FN, .set = l_tls_protocols,
	    .expect = "TLSv1.2, TLSv1.3 or both" },
	{ "tls_ciphers", CFG_ONE, CFG_T_STR, L(tls_ciphers),
	    .expect = "an OpenSSL cipher list" },
	{ "tls_ciphersuites", CFG_ONE, CFG_T_STR, L(tls_ciphersuites),
	    .expect = "TLS 1.3 cipher suites separated by colons" },
	{ "tls_curves", CFG_ONE, CFG_T_STR, L(tls_curves),
	    .expect = "groups such as X25519:P-256" },
	{ "tls_session_tickets", CFG_ONE, CFG_T_BOOL, L(tls_session_tickets),
	    .expect = ONOFF },
	{ "tls_session_cache", CFG_ONE, CFG_T_BOOL, L(tls_session_cache),
	    .expect = ONOFF },
	{ "tls_ticket_key_file", CFG_ONE, CFG_T_PATH, L(tls_ticket_key_file),
	    .expect = PATH },
	{ "tls_ocsp_staple_file", CFG_ONE, CFG_T_PATH,
	    L(tls_ocsp_staple_file), .expect = PATH },
	{ "tls_client_ca", CFG_ONE, CFG_T_PATH, L(tls_client_ca),
	    .expect = PATH },
	{ "tls_verify_client", CFG_ONE, CFG_T_ENUM, L(tls_verify_client),
	    .names = verify_names, .expect = "off, optional or on" },
	{ "redirect_to_https", CFG_ONE, CFG_T_BOOL, L(redirect_to_https),
	    .expect = ONOFF },
	{ "hsts", CFG_ONE, CFG_T_FN, .set = l_hsts,
	    .expect = "max-age=SECONDS, then any directives" },
	{ "allow", CFG_LIST, CFG_T_FN, .set = l_allow,
	    .expect = "addresses, networks such as 10.0.0.0/8, or all" },
	{ "deny", CFG_LIST, CFG_T_FN, .set = l_deny,
	    .expect = "addresses, networks such as 10.0.0.0/8, or all" },
	{ "real_ip_header", CFG_ONE, CFG_T_FN, .set = l_real_ip_header,
	    .expect = "a header name such as X-Forwarded-For" },
	{ "set_response_header", CFG_LIST, CFG_T_FN,
	    .set = l_set_response_header, .expect = "Name: value" },
	{ "remove_response_header", CFG_LIST, CFG_T_FN,
	    .set = l_remove_response_header, .expect = "a header name" },
	{ "security_headers", CFG_ONE, CFG_T_FN, .set = l_security_headers,
	    .expect = ONOFF },
	{ "http2", CFG_ONE, CFG_T_BOOL, L(http2), .expect = ONOFF },
	{ "proxy_protocol", CFG_ONE, CFG_T_BOOL, L(proxy_protocol),
	    .expect = ONOFF },
	{ "proxy_protocol_from", CFG_LIST, CFG_T_FN,
	    .set = l_proxy_protocol_from,
	    .expect = "addresses or networks such as 10.0.0.0/8" },
	/* Shared limits (config_limit.c, worker/limit.c). */
	{ "rate_limit", CFG_LIST, CFG_T_FN, .set = l_rate_limit,
	    .expect = RATE_LIMIT },
	{ "limit_conn", CFG_LIST, CFG_T_FN, .set = l_limit_conn,
	    .expect = LIMIT_CONN },
	{ "rate_limit_dry_run", CFG_ONE, CFG_T_BOOL, L(limits.dry_run),
	    .expect = ONOFF },
	{ "auth_basic", CFG_ONE, CFG_T_FN, .set = l_auth_basic,
	    .expect = "a realm of printable characters, or off" },
	{ "auth_basic_file", CFG_ONE, CFG_T_PATH, L(auth.file),
	    .expect = PATH },
	{ NULL }
};

void
cfg_listener_init(struct cfg_listener *li)
{
	li->backlog = 511;
	li->tls_min = TLS1_2_VERSION;
	li->tls_max = TLS1_3_VERSION;
	li->tls_session_tickets = li->tls_session_cache = true;
	li->security_headers = -1;
}

/* Second pass: every listener has an address that no other one uses. */
void
cfg_listener_check(struct config *cfg)
{
	struct cfg_where	 top = { cfg->path, 0 };
	char			 label[300], a[ADDR_STRLEN];
	size_t			 i, j, k, l;

	if (cfg->nlisteners == 0)
		cfg_error_at(cfg, &top, "no [listener] defined");
	for (i = 0; i < cfg->nlisteners; i++) {
		struct cfg_listener *li = cfg->listeners[i];

		if (li->naddrs == 0 && !li->addr_refused)
			cfg_error_at(cfg, &li->sec.where, "%s has no address",
			    cfg_section_label(&li->sec, label, sizeof(label)));
		for (j = 0; j < li->naddrs; j++) {
			/* Compare with every earlier address. */
			for (k = 0; k <= i; k++) {
				struct cfg_listener *o = cfg->listeners[k];
				size_t lim = k == i ? j : o->naddrs;

				for (l = 0; l < lim; l++) {
					if (!addr_equal(&o->addrs[l],
					    &li->addrs[j]))
						continue;
					char olabel[300];

					addr_format(&li->addrs[j], a,
					    sizeof(a));
					cfg_section_label(&o->sec, olabel,
					    sizeof(olabel));
					cfg_error_at(cfg, &li->addr_where[j],
					    "address %s in %s is already used "
					    "by %s (%s:%d)", a,
					    cfg_section_label(&li->sec, label,
					    sizeof(label)), k == i ? "the same "
					    "listener" : olabel,
					    o->addr_where[l].file,
					    o->addr_where[l].line);
					goto next_addr;
				}
			}
next_addr:		;
		}
		/* Unset, HTTP/2 is offered where ALPN can offer it. */
		if (cfg_key_where(&li->sec, "http2") == NULL)
			li->http2 = li->tls;
		check_listener_tls(cfg, li);
		check_listener_proxy(cfg, li);
	}
}

void
cfg_listener_free(struct cfg_listener *li)
{
	free(li->sec.name);
	free(li->addrs);
	free(li->addr_where);
	for (size_t i = 0; i < li->ncerts; i++) {
		free(li->certs[i].cert_file);
		free(li->certs[i].key_file);
	}
	free(li->certs);
	free(li->tls_ciphers);
	free(li->tls_ciphersuites);
	free(li->tls_curves);
	free(li->tls_ticket_key_file);
	free(li->tls_ocsp_staple_file);
	free(li->tls_client_ca);
	free(li->hsts);
	free(li->acl.rules);
	free(li->real_ip_header);
	cfg_header_ops_free(li->set_resp, li->nset_resp);
	cfg_header_ops_free(li->remove_resp, li->nremove_resp);
	cfg_header_ops_free(li->hsts_op, li->hsts_op != NULL ? 1 : 0);
	free(li->proxy_protocol_from);
	cfg_limits_free(&li->limits);
	cfg_auth_free(&li->auth);
	tls_server_free(li->tls_server);
	free(li);
}

static void
check_listener_tls(struct config *cfg, struct cfg_listener *li)
{
	static const char *const tls_only[] = { "certificate",
	    "certificate_key", "tls_protocols", "tls_ciphers",
	    "tls_ciphersuites", "tls_curves", "tls_session_tickets",
	    "tls_session_cache", "tls_ticket_key_file", "tls_ocsp_staple_file",
	    "tls_client_ca", "tls_verify_client", "hsts", NULL };
	const struct cfg_where	*w;
	char			 label[300];

	cfg_section_label(&li->sec, label, sizeof(label));
	if (!li->tls) {
		/* A TLS key on a plain listener is a mistake, not a no-op. */
		for (int i = 0; tls_only[i] != NULL; i++)
			if ((w = cfg_key_where(&li->sec, tls_only[i])) != NULL)
				cfg_error_at(cfg, w, "%s in %s needs tls = on",
				    tls_only[i], label);
		return;
	}
	if ((w = cfg_key_where(&li->sec, "redirect_to_https")) != NULL &&
	    li->redirect_to_https)
		cfg_error_at(cfg, w, "redirect_to_https in %s is for a "
		    "listener without tls", label);
	if (li->tls_verify_client != VERIFY_OFF && li->tls_client_ca == NULL)
		cfg_error_at(cfg, cfg_key_where(&li->sec, "tls_verify_client"),
		    "tls_verify_client in %s needs tls_client_ca", label);
	li->tls_server = tls_server_load(cfg, li);
}

/*
 * A PROXY header says who the client is: taken from anyone, it would let
 * any client pick its own address. So the senders must be named, and
 * naming them on a listener that reads no header is a mistake.
 */
static void
check_listener_proxy(struct config *cfg, struct cfg_listener *li)
{
	const struct cfg_where	*w;
	char			 label[300];

	cfg_section_label(&li->sec, label, sizeof(label));
	if (li->proxy_protocol && li->nproxy_protocol_from == 0)
		cfg_error_at(cfg, cfg_key_where(&li->sec, "proxy_protocol"),
		    "proxy_protocol in %s needs proxy_protocol_from (the "
		    "addresses of the load balancers that send it)", label);
	if (!li->proxy_protocol &&
	    (w = cfg_key_where(&li->sec, "proxy_protocol_from")) != NULL)
		cfg_error_at(cfg, w, "proxy_protocol_from in %s needs "
		    "proxy_protocol = on", label);
}
