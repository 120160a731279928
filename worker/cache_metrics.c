/*
 * The metrics page's text (Prometheus exposition): the counters every
 * process adds to in shared memory, then the cache zone's statistics.
 * It only reads them.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cache_store.h"
#include "common/proc.h"
#include "common/shm.h"
#include "worker/cache.h"
#include "worker/cache_int.h"

/* The page in dst[0..room): its length, or (size_t)-1 if it does not fit. */
size_t
cache_metrics(const struct proc_env *env, char *dst, size_t room)
{
	static const struct { enum counter c; const char *name; } cn[] = {
		{ CNT_ACCEPTED, "frontd_connections_accepted_total" },
		{ CNT_REQUESTS, "frontd_requests_total" },
		{ CNT_BYTES_IN, "frontd_bytes_in_total" },
		{ CNT_BYTES_OUT, "frontd_bytes_out_total" },
		{ CNT_UPSTREAM_ERRORS, "frontd_upstream_errors_total" },
		{ CNT_CLIENT_TIMEOUTS,
		    "frontd_client_errors_total{reason=\"timeout\"}" },
		{ CNT_CLIENT_ABORTS,
		    "frontd_client_errors_total{reason=\"aborted\"}" },
		{ CNT_CLIENT_PROXY,
		    "frontd_client_errors_total{reason=\"proxy_protocol\"}" },
		{ CNT_RECLAIMED, "frontd_connections_reclaimed_total" },
		{ CNT_RELOADS, "frontd_reloads_total" },
		{ CNT_WORKER_RESPAWNS, "frontd_worker_respawns_total" },
		{ CNT_COMPRESSED, "frontd_compressed_responses_total" },
		{ CNT_RATE_LIMITED,
		    "frontd_requests_limited_total{limit=\"rate_limit\"}" },
		{ CNT_CONN_LIMITED,
		    "frontd_requests_limited_total{limit=\"limit_conn\"}" },
		{ CNT_LIMIT_DRY_RUN, "frontd_requests_limited_dry_run_total" },
	};
	static const char *const sn[CS_STAT_MAX] = {
		"hits", "misses", "stale", "revalidated", "stores",
		"evictions", "purges"
	};
	size_t		 n = 0;
	uint64_t	 st[CS_STAT_MAX], entries = 0, bytes = 0, size = 0;

#define OUT(...) do {							\
	int k_ = snprintf(dst + n, room - n, __VA_ARGS__);		\
	if (k_ < 0 || (size_t)k_ >= room - n)				\
		return (size_t)-1;					\
	n += (size_t)k_;						\
} while (0)
	for (size_t i = 0; i < sizeof(cn) / sizeof(cn[0]); i++)
		OUT("%s %llu\n", cn[i].name, (unsigned long long)
		    atomic_load(&env->counters->c[cn[i].c]));
	for (int i = 0; i < 5; i++)
		OUT("frontd_responses_total{class=\"%dxx\"} %llu\n", i + 1,
		    (unsigned long long)atomic_load(&env->counters->c[
		    CNT_STATUS_1XX + i]));
	if (cache_zone != NULL) {
		cs_stats(cache_zone, st, &entries, &bytes, &size);
		for (int i = 0; i < CS_STAT_MAX; i++)
			OUT("frontd_cache_%s_total %llu\n", sn[i],
			    (unsigned long long)st[i]);
	}
	OUT("frontd_cache_entries %llu\nfrontd_cache_bytes %llu\n"
	    "frontd_cache_size_bytes %llu\n", (unsigned long long)entries,
	    (unsigned long long)bytes, (unsigned long long)size);
#undef OUT
	return n;
}
