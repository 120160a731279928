/*
 * The cache's part of the metrics page (worker/metrics.c): the statistics
 * of the shared cache zone, in the Prometheus text format. It only reads
 * them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cache_store.h"
#include "common/proc.h"
#include "worker/cache.h"
#include "worker/cache_int.h"

/* The cache families in dst[0..room): their length, or (size_t)-1 if they
 * do not fit. Without a cache zone the counters are zero. */
size_t
cache_metrics(const struct proc_env *env, char *dst, size_t room)
{
	static const struct { const char *name, *help; } sn[CS_STAT_MAX] = {
		{ "hits", "Requests answered from the cache." },
		{ "misses", "Cacheable requests the cache could not answer." },
		{ "stale", "Stale entries served (stale-while-revalidate, "
		    "stale-if-error, cache_use_stale)." },
		{ "revalidated", "Stale entries the upstream confirmed "
		    "(304)." },
		{ "stores", "Responses stored." },
		{ "evictions", "Entries evicted to make room." },
		{ "purges", "Entries purged." },
	};
	size_t		 n = 0;
	uint64_t	 st[CS_STAT_MAX] = { 0 }, entries = 0, bytes = 0;
	uint64_t	 size = 0;

	(void)env;
#define OUT(...) do {							\
	int k_ = snprintf(dst + n, room - n, __VA_ARGS__);		\
	if (k_ < 0 || (size_t)k_ >= room - n)				\
		return (size_t)-1;					\
	n += (size_t)k_;						\
} while (0)
	if (cache_zone != NULL)
		cs_stats(cache_zone, st, &entries, &bytes, &size);
	for (int i = 0; i < CS_STAT_MAX; i++)
		OUT("# HELP frontd_cache_%s_total %s\n"
		    "# TYPE frontd_cache_%s_total counter\n"
		    "frontd_cache_%s_total %llu\n", sn[i].name, sn[i].help,
		    sn[i].name, sn[i].name, (unsigned long long)st[i]);
	OUT("# HELP frontd_cache_entries Entries in the cache.\n"
	    "# TYPE frontd_cache_entries gauge\n"
	    "frontd_cache_entries %llu\n"
	    "# HELP frontd_cache_bytes Bytes the cache entries use.\n"
	    "# TYPE frontd_cache_bytes gauge\n"
	    "frontd_cache_bytes %llu\n"
	    "# HELP frontd_cache_size_bytes The cache's size (cache_size).\n"
	    "# TYPE frontd_cache_size_bytes gauge\n"
	    "frontd_cache_size_bytes %llu\n", (unsigned long long)entries,
	    (unsigned long long)bytes, (unsigned long long)size);
#undef OUT
	return n;
}
