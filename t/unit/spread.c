/*
 * Unit tests for the spreading rule of worker/spread.c: spread_over() on
 * its own, then a burst of connections all queued at once, as the kernel
 * hands them out: the worker woken takes them until it holds more than its
 * share, then wakes the one that holds least, which does the same.
 */
#include <stdint.h>
#include <stdlib.h>

#include "worker/spread.h"
#include "t/unit/tap.h"

/* The burst: returns the most and the fewest connections a worker got. */
static void
burst(uint64_t nconns, uint64_t n, uint64_t *most, uint64_t *fewest)
{
	uint64_t	held[64] = { 0 }, total = 0;
	size_t		w = 0;

	while (total < nconns) {
		if (spread_over(held[w], total, n)) {
			size_t least = w;

			for (size_t i = 0; i < n; i++)
				if (held[i] < held[least])
					least = i;
			w = least;
			continue;
		}
		held[w]++;
		total++;
	}
	*most = 0;
	*fewest = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (held[i] > *most)
			*most = held[i];
		if (held[i] < *fewest)
			*fewest = held[i];
	}
}

int
main(void)
{
	uint64_t	most, fewest;
	bool		within = true;

	ok(!spread_over(100, 100, 1), "a single worker is never over");
	ok(!spread_over(0, 0, 2), "nothing held: not over");
	ok(!spread_over(4, 4, 2), "4 of 4 on two workers: within the slack");
	ok(spread_over(9, 9, 2), "9 of 9 on two workers: over");
	ok(!spread_over(57, 100, 2), "57 of 100 on two workers: not over");
	ok(spread_over(58, 100, 2), "58 of 100 on two workers: over");
	ok(!spread_over(535, 1000, 2), "535 of 1000: not over");
	ok(spread_over(537, 1000, 2), "537 of 1000: over");
	ok(!spread_over(50, 100, 2), "even load is never over");
	ok(!spread_over(1000000, 1000000 * 256ULL, 256),
	    "no overflow with a million each on 256 workers");

	burst(100, 2, &most, &fewest);
	ok(most <= 60 && fewest >= 40, "100 at once on two workers: %llu/%llu",
	    (unsigned long long)most, (unsigned long long)fewest);
	burst(1000, 2, &most, &fewest);
	ok(most <= 550 && fewest >= 450, "1000 at once on two workers: "
	    "%llu/%llu", (unsigned long long)most, (unsigned long long)fewest);
	burst(200, 4, &most, &fewest);
	ok(most <= 60 && fewest >= 30, "200 at once on four workers: at most "
	    "%llu, at least %llu", (unsigned long long)most,
	    (unsigned long long)fewest);
	/*
	 * Every size of burst from 1 to 2000 on 2 to 8 workers: a worker's
	 * last connection came when it held less than 17/16 of the mean and
	 * 4, so it holds less than 17/16 of the final mean and 5.
	 */
	for (uint64_t n = 2; n <= 8; n++)
		for (uint64_t c = 1; c <= 2000; c++) {
			burst(c, n, &most, &fewest);
			if (most * 16 * n >= 17 * c + 80 * n) {
				within = false;
				printf("# %llu on %llu workers: %llu\n",
				    (unsigned long long)c, (unsigned long long)n,
				    (unsigned long long)most);
			}
		}
	ok(within, "no worker ever gets 17/16 of the mean and 5 or more");
	return tap_done();
}
