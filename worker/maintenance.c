/*
 * Maintenance mode, a request phase: a route whose maintenance is on, or
 * whose upstream's is, answers 503 with the admin's page and Retry-After,
 * except to the addresses of maintenance_allow, for whom the site works.
 * What a route leaves unset comes from its upstream, then [global]. The
 * answer is frontd's own: nothing reaches a server, and the cache never
 * stores it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "worker/conn.h"
#include "worker/maintenance.h"
#include "worker/req.h"
#include "worker/req_int.h"

#define RETRY_AFTER_MS	(300 * 1000)	/* when none is set */

static bool
allowed(const struct cfg_maintenance *m, const struct addr *a)
{
	for (size_t i = 0; i < m->nallow; i++)
		if (cidr_match(&m->allow[i], &a->ss))
			return true;
	return false;
}

enum phase_result
phase_maintenance(struct conn *c, enum step *s)
{
	const struct config	*cfg = c->w->env->cfg;
	const struct cfg_route	*route = R(c);
	struct req		*r = c->req;
	const struct cfg_maintenance *m[3];
	const struct cfg_maintenance *allow = NULL, *page = NULL;
	int64_t			 retry_ms = 0;
	size_t			 n = 0;
	char			 client[ADDR_STRLEN];

	m[n++] = &route->maint;
	if (route->upstream >= 0)
		m[n++] = &cfg->upstreams[route->upstream]->maint;
	if (!m[0]->on && (n == 1 || !m[1]->on))
		return PHASE_NEXT;
	m[n++] = &cfg->global.maint;
	for (size_t i = 0; i < n; i++) {
		if (allow == NULL && m[i]->nallow > 0)
			allow = m[i];
		if (page == NULL && m[i]->page != NULL)
			page = m[i];
		if (retry_ms == 0)
			retry_ms = m[i]->retry_after_ms;
	}
	if (allow != NULL && allowed(allow, req_client(c)))
		return PHASE_NEXT;
	if (retry_ms == 0)
		retry_ms = RETRY_AFTER_MS;
	req_answer_line(c, "Retry-After: %lld",
	    (long long)((retry_ms + 999) / 1000));
	req_answer_line(c, "Cache-Control: no-store");
	addr_format_ip(req_client(c), client, sizeof(client));
	log_debug("conn=%llu %s 503: maintenance of route %s",
	    (unsigned long long)c->id, client, route->sec.name);
	if (page == NULL) {
		/* error_page 503, or frontd's own page. */
		*s = request_refuse(c, 503, "maintenance");
		return PHASE_ANSWERED;
	}
	c->in->start += r->head.head_len;
	*s = request_local(c, 503, page->page_type, page->page, page->pagelen,
	    NULL, 0, "maintenance");
	return PHASE_ANSWERED;
}
