/*
 * Unit tests for worker/accept_encoding.c and coding_negotiate(): what one
 * Accept-Encoding value gives compression (for a route with gzip, br or
 * both) and the cache (its key text), from the same parse.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "worker/accept_encoding.h"
#include "worker/compress.h"
#include "t/unit/tap.h"

#define NONE	CODING_NONE
#define GZIP	CODING_GZIP
#define BR	CODING_BR

/* One value; the coding for a route with gzip only, br only, both. */
static const struct {
	const char	*in;
	enum coding	 gz, br, both;
	const char	*key;
} cases[] = {
	/* plain lists, q-values, br preferred on a tie */
	{ "gzip", GZIP, NONE, GZIP, "gzip" },
	{ "br", NONE, BR, BR, "br" },
	{ "gzip, br", GZIP, BR, BR, "br,gzip" },
	{ "br,gzip", GZIP, BR, BR, "br,gzip" },
	{ "gzip, deflate, br", GZIP, BR, BR, "br,deflate,gzip" },
	{ "gzip, deflate", GZIP, NONE, GZIP, "deflate,gzip" },
	{ "deflate", NONE, NONE, NONE, "deflate" },
	{ "gzip;q=0.5, br;q=0.4", GZIP, BR, GZIP, "br,gzip" },
	{ "gzip;q=0.4, br;q=0.5", GZIP, BR, BR, "br,gzip" },
	{ "br;q=0.8, gzip;q=0.8", GZIP, BR, BR, "br,gzip" },
	{ "gzip;q=1, br;q=0.999", GZIP, BR, GZIP, "br,gzip" },
	{ "gzip;q=0.001", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=1.000", GZIP, NONE, GZIP, "gzip" },
	/* q=0 refuses, in every spelling */
	{ "gzip;q=0", NONE, NONE, NONE, "" },
	{ "gzip;q=0.", NONE, NONE, NONE, "" },
	{ "gzip;q=0.0", NONE, NONE, NONE, "" },
	{ "br;q=0.0", NONE, NONE, NONE, "" },
	{ "gzip;q=0.000", NONE, NONE, NONE, "" },
	{ "gzip;Q=0", NONE, NONE, NONE, "" },
	{ "gzip;q=0, br;q=0", NONE, NONE, NONE, "" },
	{ "gzip, br;q=0", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=1, br;q=0.1", GZIP, BR, GZIP, "br,gzip" },
	{ "br, gzip;q=0.1", GZIP, BR, BR, "br,gzip" },
	/* "*": the codings not named */
	{ "*", GZIP, BR, BR, "*" },
	{ "*;q=0", NONE, NONE, NONE, "" },
	{ "br;q=0, *", GZIP, NONE, GZIP, "*" },
	{ "*, gzip;q=0", NONE, BR, BR, "*" },
	{ "*;q=0, gzip;q=0.001", GZIP, NONE, GZIP, "gzip" },
	{ "*;q=0.5, br", GZIP, BR, BR, "*,br" },
	/* identity: never refused by frontd, but keyed */
	{ "identity", NONE, NONE, NONE, "identity" },
	{ "identity;q=0", NONE, NONE, NONE, "" },
	{ "identity;q=0, gzip", GZIP, NONE, GZIP, "gzip" },
	{ "identity;q=0, *;q=0", NONE, NONE, NONE, "" },
	/* x-gzip is gzip, unless gzip is named; keyed as sent */
	{ "x-gzip", GZIP, NONE, GZIP, "x-gzip" },
	{ "X-GZIP;q=0.5, br;q=0.4", GZIP, BR, GZIP, "br,x-gzip" },
	{ "gzip;q=0, x-gzip", NONE, NONE, NONE, "x-gzip" },
	{ "x-gzip, gzip;q=0", NONE, NONE, NONE, "x-gzip" },
	{ "x-gzip;q=0, gzip", GZIP, NONE, GZIP, "gzip" },
	/* case */
	{ "GZIP", GZIP, NONE, GZIP, "gzip" },
	{ "Br, GZip", GZIP, BR, BR, "br,gzip" },
	{ "ZSTD, gzip", GZIP, NONE, GZIP, "gzip,zstd" },
	/* white space and empty elements */
	{ "", NONE, NONE, NONE, "" },
	{ " ", NONE, NONE, NONE, "" },
	{ ",", NONE, NONE, NONE, "" },
	{ " , ,gzip,, ", GZIP, NONE, GZIP, "gzip" },
	{ " gzip , br ", GZIP, BR, BR, "br,gzip" },
	{ "\tgzip\t;\tq=0.5\t,\tbr;q=0.4", GZIP, BR, GZIP, "br,gzip" },
	{ "gzip ;q=0", NONE, NONE, NONE, "" },
	{ "gzip; q=0", NONE, NONE, NONE, "" },
	{ "gzip;q=0 , br", NONE, BR, BR, "br" },
	/* duplicates: the last weight counts */
	{ "gzip, gzip", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=0, gzip", GZIP, NONE, GZIP, "gzip" },
	{ "gzip, gzip;q=0", NONE, NONE, NONE, "" },
	{ "GZIP, gzip;q=0", NONE, NONE, NONE, "" },
	{ "gzip;q=0.5, gzip;q=0.1, br;q=0.3", GZIP, BR, BR, "br,gzip" },
	{ "x-gzip;q=0, x-gzip", GZIP, NONE, GZIP, "x-gzip" },
	{ "zstd, ZSTD;q=0, gzip", GZIP, NONE, GZIP, "gzip" },
	{ "zstd;q=0, zstd", NONE, NONE, NONE, "zstd" },
	/* the weight: the first "q" parameter, whatever comes before it */
	{ "gzip;foo;q=0", NONE, NONE, NONE, "" },
	{ "gzip;level=9;q=0", NONE, NONE, NONE, "" },
	{ "gzip;q=1;q=0", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=0;q=1", NONE, NONE, NONE, "" },
	{ "gzip;", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;;", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;qq=0", GZIP, NONE, GZIP, "gzip" },
	/* garbage weights: "0..." is read as far as it goes, else no weight */
	{ "gzip;q=0.0001", NONE, NONE, NONE, "" },
	{ "gzip;q=0abc", NONE, NONE, NONE, "" },
	{ "gzip;q=0.5abc", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=2", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=-1", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=abc", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q= 0", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q =0", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=1.5", GZIP, NONE, GZIP, "gzip" },
	{ "gzip;q=0.5, br;q=0.5xyz", GZIP, BR, BR, "br,gzip" },
	/* garbage names: a coding nobody knows, kept for the key */
	{ "gzip foo", NONE, NONE, NONE, "gzip foo" },
	{ "gzip foo;q=0", NONE, NONE, NONE, "" },
	{ "gzip\"", NONE, NONE, NONE, "gzip\"" },
	{ ";q=1", NONE, NONE, NONE, "" },
	{ ";;;,,,;", NONE, NONE, NONE, "" },
	{ "=gzip", NONE, NONE, NONE, "=gzip" },
};

/* The codings named, as many as are kept and one more. */
static char	many[1024];
static char	toomany[sizeof(many) + 16];

static void
fill_many(void)
{
	size_t	n = 0;

	for (int i = 0; i < AE_OTHERS_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%sc%02d",
		    i > 0 ? ", " : "", AE_OTHERS_MAX - i);
	snprintf(many + n, sizeof(many) - n, ", gzip, br, identity, x-gzip, *");
	snprintf(toomany, sizeof(toomany), "%s, zstd", many);
}

static void
parse_str(const char *s, struct ae *ae)
{
	ae_parse(s, strlen(s), ae);
}

static const char *
name(enum coding c)
{
	return coding_name(c);
}

static void
check(const char *in, size_t len, enum coding gz, enum coding br,
    enum coding both, const char *key, const char *what)
{
	struct ae	 ae;
	char		 dst[4096];
	size_t		 n;

	ae_init(&ae);
	ae_parse(in, len, &ae);
	ok(coding_negotiate(&ae, true, false) == gz,
	    "%s: gzip route -> %s (got %s)", what, name(gz),
	    name(coding_negotiate(&ae, true, false)));
	ok(coding_negotiate(&ae, false, true) == br,
	    "%s: br route -> %s (got %s)", what, name(br),
	    name(coding_negotiate(&ae, false, true)));
	ok(coding_negotiate(&ae, true, true) == both,
	    "%s: gzip br route -> %s (got %s)", what, name(both),
	    name(coding_negotiate(&ae, true, true)));
	ok(coding_negotiate(&ae, false, false) == NONE,
	    "%s: a route without compress -> identity", what);
	n = ae_key(&ae, dst, sizeof(dst));
	if (key == NULL)
		ok(n == sizeof(dst), "%s: no key (got \"%.*s\")", what,
		    n < sizeof(dst) ? (int)n : 0, dst);
	else
		ok(n == strlen(key) && memcmp(dst, key, n) == 0,
		    "%s: key \"%s\" (got \"%.*s\")", what, key,
		    n < sizeof(dst) ? (int)n : 0, dst);
}

/* A field on several lines is the list its lines make, in order. */
static void
check_lines(void)
{
	static const struct {
		const char	*lines[3];
		enum coding	 both;
		const char	*key;
	} multi[] = {
		{ { "gzip", "br", NULL }, BR, "br,gzip" },
		{ { "gzip", "identity", NULL }, GZIP, "gzip,identity" },
		{ { "br", "gzip;q=0.5", NULL }, BR, "br,gzip" },
		{ { "br;q=0.5", "gzip", NULL }, GZIP, "br,gzip" },
		{ { "gzip", "gzip;q=0", NULL }, NONE, "" },
		{ { "gzip;q=0", "", "gzip" }, GZIP, "gzip" },
		{ { "zstd", "gzip", NULL }, GZIP, "gzip,zstd" },
	};
	struct ae	 ae;
	char		 dst[64];
	size_t		 n;

	for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
		ae_init(&ae);
		for (int k = 0; k < 3 && multi[i].lines[k] != NULL; k++)
			ae_parse(multi[i].lines[k], strlen(multi[i].lines[k]),
			    &ae);
		ok(coding_negotiate(&ae, true, true) == multi[i].both,
		    "lines \"%s\" \"%s\": %s", multi[i].lines[0],
		    multi[i].lines[1], name(multi[i].both));
		n = ae_key(&ae, dst, sizeof(dst));
		ok(n == strlen(multi[i].key) && memcmp(dst, multi[i].key,
		    n) == 0, "lines \"%s\" \"%s\": key \"%s\" (got \"%.*s\")",
		    multi[i].lines[0], multi[i].lines[1], multi[i].key,
		    n < sizeof(dst) ? (int)n : 0, dst);
	}
}

/* Bounds: long names, many names, a key that does not fit. */
static void
check_long(void)
{
	static char	 big[70000];
	struct ae	 ae;
	char		 dst[32];
	size_t		 n;

	/* Every known coding and AE_OTHERS_MAX others: all in the key. */
	check(many, strlen(many), GZIP, BR, BR,
	    "*,br,c01,c02,c03,c04,c05,c06,c07,c08,c09,c10,c11,c12,c13,c14,"
	    "c15,c16,gzip,identity,x-gzip", "all kept");
	/* One other more: the key must not be that of a shorter list. */
	check(toomany, strlen(toomany), GZIP, BR, BR, NULL, "one too many");

	/* A name of 60000 bytes: kept whole, too long for a small key. */
	memset(big, 'a', 60000);
	memcpy(big + 60000, ", br;q=0.5", 10);
	check(big, 60010, NONE, BR, BR, NULL, "a 60000-byte name");
	ae_init(&ae);
	ae_parse(big, 60010, &ae);
	n = ae_key(&ae, dst, sizeof(dst));
	ok(n == sizeof(dst), "a 60000-byte name: no key in 32 bytes");

	/* A key of exactly room - 1 bytes fits; one more byte does not. */
	ae_init(&ae);
	parse_str("gzip, identity, br", &ae);
	ok(ae_key(&ae, dst, 17) == 16 && memcmp(dst, "br,gzip,identity",
	    16) == 0, "a 16-byte key fits in 17");
	ok(ae_key(&ae, dst, 16) == 16, "a 16-byte key does not fit in 16");

	/* A long list of one coding, refused at the end. */
	n = 0;
	while (n + 6 < 60000) {
		memcpy(big + n, "gzip, ", 6);
		n += 6;
	}
	memcpy(big + n, "gzip;q=0", 8);
	n += 8;
	check(big, n, NONE, NONE, NONE, "", "gzip 10000 times, then q=0");

	/* The value is not read past its length. */
	check("gzip;q=0", 4, GZIP, NONE, GZIP, "gzip", "a prefix: gzip");
	check("gzip;q=0", 6, GZIP, NONE, GZIP, "gzip", "a prefix: gzip;q");
	check("gzip;q=0", 7, GZIP, NONE, GZIP, "gzip", "a prefix: gzip;q=");
	check("br;q=0.5", 6, NONE, NONE, NONE, "", "a prefix: br;q=0");
}

static void
check_weight(void)
{
	struct ae	 ae;

	ae_init(&ae);
	ok(ae_weight(&ae, AE_GZIP) == AE_UNLISTED, "nothing: gzip unlisted");
	parse_str("x-gzip;q=0.3, *;q=0.2, br;q=0.75", &ae);
	ok(ae_weight(&ae, AE_GZIP) == 300, "gzip from x-gzip: 300");
	ok(ae_weight(&ae, AE_BR) == 750, "br: 750");
	ok(ae_weight(&ae, AE_IDENTITY) == 200, "identity from *: 200");
	parse_str("gzip;q=0.123", &ae);
	ok(ae_weight(&ae, AE_GZIP) == 123, "gzip named: 123");
	ok(ae_weight(&ae, AE_X_GZIP) == 300, "x-gzip: 300");
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(cases[i].in, strlen(cases[i].in), cases[i].gz,
		    cases[i].br, cases[i].both, cases[i].key, cases[i].in);
	fill_many();
	check_lines();
	check_long();
	check_weight();
	return tap_done();
}
