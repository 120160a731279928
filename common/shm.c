/*
 * Creation of shared zones. A zone is its own anonymous MAP_SHARED mapping,
 * so a reload can replace one (the health table when servers change) and
 * keep another (counters); old workers keep their own view of a replaced
 * zone until they exit, and the kernel frees it after the last unmap.
 */
#include <string.h>
#include <sys/mman.h>

#include "common/shm.h"

void *
shm_zone_create(enum shm_kind kind, uint32_t version, size_t size,
    size_t nslots)
{
	struct shm_hdr	*h;
	void		*p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Anonymous mappings come zeroed; fill the header last. */
	h = p;
	h->kind = kind;
	h->version = version;
	h->size = size;
	h->nslots = nslots;
	h->magic = SHM_MAGIC;
	return p;
}

void
shm_zone_destroy(void *p)
{
	struct shm_hdr	*h = p;

	if (p != NULL)
		munmap(p, h->size);
}
