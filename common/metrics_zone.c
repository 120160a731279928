/*
 * The keyed metrics zone (metrics_zone.h). The master fits it to each
 * configuration: names already there keep their slot and values, new
 * names take free slots. Only when there is no room left does it make a
 * larger zone and copy every slot into it; workers of the old generation
 * then count on in the old one until they exit.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/metrics_zone.h"

#define METRICS_MIN_SLOTS	256

const uint32_t	metrics_bucket_ms[METRICS_NBUCKETS] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

static struct metrics_zone	*zone_new(size_t);
static size_t	zone_names(struct metrics_zone *, const struct config *,
		    bool);
static int	zone_name(struct metrics_zone *, const char *, bool);

/* "kind/a[/b]": the key of a route, an upstream or a server. */
size_t
metrics_key(char *dst, size_t len, const char *kind, const char *a,
    const char *b)
{
	int	n;

	n = snprintf(dst, len, "%s/%s%s%s", kind, a ? a : "", b ? "/" : "",
	    b ? b : "");
	return n < 0 ? 0 : (size_t)n;
}

struct metrics_slot *
metrics_zone_find(struct metrics_zone *z, const char *key)
{
	uint64_t	n;

	if (z == NULL)
		return NULL;
	n = atomic_load_explicit(&z->nused, memory_order_acquire);
	for (uint64_t i = 0; i < n && i < z->hdr.nslots; i++)
		if (strcmp(z->slots[i].key, key) == 0)
			return &z->slots[i];
	return NULL;
}

/*
 * A zone holding a slot for every route, upstream and server of cfg: z
 * itself when they fit, else a new, larger one with z's slots copied (z
 * is then unmapped in the master; children keep their own mapping). NULL
 * only when z is NULL and no zone can be made. A name that finds no room
 * is logged and not counted.
 */
struct metrics_zone *
metrics_zone_fit(struct metrics_zone *z, const struct config *cfg)
{
	struct metrics_zone	*nz;
	size_t			 used, missing;
	int			 lost;

	used = z != NULL ? (size_t)atomic_load(&z->nused) : 0;
	missing = zone_names(z, cfg, false);
	if (z == NULL || used + missing > z->hdr.nslots) {
		if ((nz = zone_new(2 * (used + missing))) == NULL) {
			if (z == NULL)
				return NULL;
			log_warn("metrics: cannot grow the metrics zone: %s",
			    strerror(errno));
		} else {
			for (size_t i = 0; i < used; i++)
				memcpy(&nz->slots[i], &z->slots[i],
				    sizeof(nz->slots[i]));
			atomic_store(&nz->nused, used);
			shm_zone_destroy(z);
			z = nz;
		}
	}
	if ((lost = (int)zone_names(z, cfg, true)) > 0)
		log_warn("metrics: no room for %d new series names; they are "
		    "not counted until frontd restarts", lost);
	return z;
}

/*
 * Every name of cfg: how many have no slot in z; with add, after giving
 * each a free slot while there is one.
 */
static size_t
zone_names(struct metrics_zone *z, const struct config *cfg, bool add)
{
	char	 key[SHM_KEY_LEN];
	size_t	 n = 0;

	for (size_t i = 0; i < cfg->nroutes; i++) {
		metrics_key(key, sizeof(key), "route",
		    cfg->routes[i]->sec.name, NULL);
		n += zone_name(z, key, add);
	}
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct cfg_upstream *u = cfg->upstreams[i];

		metrics_key(key, sizeof(key), "upstream", u->sec.name, NULL);
		n += zone_name(z, key, add);
		for (size_t j = 0; j < u->nservers; j++) {
			metrics_key(key, sizeof(key), "server", u->sec.name,
			    u->servers[j].spec);
			n += zone_name(z, key, add);
		}
	}
	return n;
}

static struct metrics_zone *
zone_new(size_t nslots)
{
	if (nslots < METRICS_MIN_SLOTS)
		nslots = METRICS_MIN_SLOTS;
	return shm_zone_create(SHM_METRICS, SHM_METRICS_VERSION,
	    sizeof(struct metrics_zone) + nslots *
	    sizeof(struct metrics_slot), nslots);
}

/* 0 when key has a slot (it had one, or takes a free one), 1 if not. */
static int
zone_name(struct metrics_zone *z, const char *key, bool add)
{
	uint64_t	n;

	if (metrics_zone_find(z, key) != NULL)
		return 0;
	if (!add || z == NULL ||
	    (n = atomic_load(&z->nused)) >= z->hdr.nslots)
		return 1;
	/* Free slots are zero: the key first, then publish it. */
	snprintf(z->slots[n].key, sizeof(z->slots[n].key), "%s", key);
	atomic_store_explicit(&z->nused, n + 1, memory_order_release);
	return 0;
}
