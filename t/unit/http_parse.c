/*
 * Unit tests for common/http_parse.c and common/http_chunked.c: every rule
 * of the head parsers has an accepted and a refused case, each checked
 * whole and fed one byte at a time; the chunked decoder is run over every
 * split of its input.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_parse.h"
#include "t/unit/tap.h"

/* A string literal with its exact length, NULs included. */
#define S(s)		s, sizeof(s) - 1
#define ACCEPT(s, what)	{ S(s), HTTP_ERR_NONE, 0, what }
#define REFUSE(s, e, status, what) { S(s), HTTP_ERR_##e, status, what }

#define RL	"GET / HTTP/1.1\r\n"
#define HOST	"Host: a\r\n"
#define POST	"POST / HTTP/1.1\r\nHost: a\r\n"
#define TE	"Transfer-Encoding: "
#define CL	"Content-Length: "

struct head_case {
	const char	*in;
	size_t		 len;
	enum http_error	 err;
	int		 status;	/* error_status; 0 when accepted */
	const char	*what;
};

static const struct http_limits limits = { 8192, 1024, 100 };

static const struct head_case requests[] = {
	/* request line */
	ACCEPT(RL HOST "\r\n", "plain GET"),
	ACCEPT("GET /a/b?c=d&e=f HTTP/1.1\r\nHost: example.com\r\n\r\n",
	    "path and query"),
	ACCEPT("GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 needs no Host"),
	ACCEPT("HEAD / HTTP/1.1\r\n" HOST "\r\n", "HEAD"),
	ACCEPT("PROPFIND /x HTTP/1.1\r\n" HOST "\r\n", "extension method"),
	ACCEPT("get / HTTP/1.1\r\n" HOST "\r\n", "lower-case method is a "
	    "token"),
	ACCEPT("M-SEARCH!#$%&'*+.^_`|~ / HTTP/1.1\r\n" HOST "\r\n",
	    "every tchar in a method"),
	REFUSE("GE(T / HTTP/1.1\r\n" HOST "\r\n", BAD_METHOD, 400,
	    "method with a delimiter"),
	REFUSE("GET\t/ HTTP/1.1\r\n" HOST "\r\n", BAD_METHOD, 400,
	    "HTAB after the method"),
	REFUSE("G\x80T / HTTP/1.1\r\n" HOST "\r\n", BAD_METHOD, 400,
	    "non-ASCII method"),
	REFUSE(" GET / HTTP/1.1\r\n" HOST "\r\n", BAD_REQUEST_LINE, 400,
	    "SP before the method"),
	REFUSE("GET  / HTTP/1.1\r\n" HOST "\r\n", BAD_REQUEST_LINE, 400,
	    "two SP after the method"),
	REFUSE("GET /  HTTP/1.1\r\n" HOST "\r\n", BAD_REQUEST_LINE, 400,
	    "two SP before the version"),
	REFUSE("GET / HTTP/1.1 \r\n" HOST "\r\n", BAD_REQUEST_LINE, 400,
	    "SP after the version"),
	REFUSE("GET / HTTP/1.1 x\r\n" HOST "\r\n", BAD_REQUEST_LINE, 400,
	    "a fourth part"),
	REFUSE("GET /a b HTTP/1.1\r\n" HOST "\r\n", BAD_REQUEST_LINE, 400,
	    "SP inside the target"),
	REFUSE("GET\r\n\r\n", BAD_REQUEST_LINE, 400, "method alone"),
	REFUSE("GET \r\n\r\n", BAD_REQUEST_LINE, 400, "method and SP"),
	REFUSE("GET /\r\n\r\n", HTTP09, 400, "HTTP/0.9 request"),
	REFUSE("GET /index.html\r\n", HTTP09, 400,
	    "HTTP/0.9 refused without waiting for an empty line"),
	REFUSE("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HTTP2_PREFACE, 400,
	    "HTTP/2 connection preface"),
	REFUSE("PRI * HTTP/2.0\r\n", HTTP2_PREFACE, 400,
	    "HTTP/2 preface refused at its first line"),
	REFUSE("GET / HTTP/2.0\r\n" HOST "\r\n", VERSION_UNSUPPORTED, 505,
	    "HTTP/2.0"),
	REFUSE("GET / HTTP/1.2\r\n" HOST "\r\n", VERSION_UNSUPPORTED, 505,
	    "HTTP/1.2"),
	REFUSE("GET / HTTP/0.9\r\n" HOST "\r\n", VERSION_UNSUPPORTED, 505,
	    "HTTP/0.9 with a version"),
	REFUSE("GET / HTTP/3.0\r\n" HOST "\r\n", VERSION_UNSUPPORTED, 505,
	    "HTTP/3.0"),
	REFUSE("GET / HTTP/1.10\r\n" HOST "\r\n", BAD_VERSION, 400,
	    "two-digit minor"),
	REFUSE("GET / HTTP/1\r\n" HOST "\r\n", BAD_VERSION, 400, "no minor"),
	REFUSE("GET / http/1.1\r\n" HOST "\r\n", BAD_VERSION, 400,
	    "lower-case HTTP"),
	REFUSE("GET / HTTP/1.x\r\n" HOST "\r\n", BAD_VERSION, 400,
	    "letter as minor"),
	REFUSE("GET / HTTP/1,1\r\n" HOST "\r\n", BAD_VERSION, 400,
	    "comma in version"),
	REFUSE("GET / HTTP/1.1\x01\r\n" HOST "\r\n", BAD_VERSION, 400,
	    "CTL after the version"),
	REFUSE("GET / FOO\r\n" HOST "\r\n", BAD_VERSION, 400,
	    "not a version"),

	/* leading empty lines (RFC 9112 2.2) */
	ACCEPT("\r\n" RL HOST "\r\n", "one leading CRLF"),
	ACCEPT("\r\n\r\n\r\n\r\n" RL HOST "\r\n", "four leading CRLF"),
	REFUSE("\r\n\r\n\r\n\r\n\r\n" RL HOST "\r\n", BAD_REQUEST_LINE, 400,
	    "five leading CRLF"),
	REFUSE("\n" RL HOST "\r\n", BARE_LF, 400, "leading bare LF"),
	REFUSE("\r\n\n" RL HOST "\r\n", BARE_LF, 400,
	    "bare LF after a leading CRLF"),
	REFUSE("\r\r\n" RL HOST "\r\n", BARE_CR, 400, "leading bare CR"),

	/* origin-form target */
	ACCEPT("GET /a:b@c!$&'()*+,;=-._~?/?x HTTP/1.1\r\n" HOST "\r\n",
	    "every pchar, / and ? in a target"),
	ACCEPT("GET /%2F%2e%aB HTTP/1.1\r\n" HOST "\r\n", "pct-encoded"),
	ACCEPT("GET //x HTTP/1.1\r\n" HOST "\r\n", "path starting with //"),
	ACCEPT("OPTIONS /x HTTP/1.1\r\n" HOST "\r\n", "OPTIONS with a path"),
	REFUSE("GET /a#frag HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "fragment in target"),
	REFUSE("GET /%zz HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "bad pct-encoding"),
	REFUSE("GET /%g0 HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "pct-encoding, first digit not hex"),
	REFUSE("GET /%0g HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "pct-encoding, second digit not hex"),
	REFUSE("GET /a%2 HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "truncated pct-encoding"),
	REFUSE("GET /a% HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "lone %"),
	REFUSE("GET /\x7f HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "DEL in target"),
	REFUSE("GET /\xc3\xa9 HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "UTF-8 in target"),
	REFUSE("GET /\x01 HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "CTL in target"),
	REFUSE("GET /a\x00" "b HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "NUL in target"),
	REFUSE("GET /a\tb HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "HTAB in target"),
	/* Sent unencoded by browsers and form libraries. */
	ACCEPT("GET /{x} HTTP/1.1\r\n" HOST "\r\n",
	    "braces in target (as browsers send it)"),
	/* Sent unencoded by browsers and form libraries. */
	ACCEPT("GET /a|b HTTP/1.1\r\n" HOST "\r\n",
	    "| in target (as browsers send it)"),
	/* Sent unencoded by browsers and form libraries. */
	ACCEPT("GET /a\"b HTTP/1.1\r\n" HOST "\r\n",
	    "quote in target (as browsers send it)"),
	/* Sent unencoded by browsers and form libraries. */
	ACCEPT("GET /<script> HTTP/1.1\r\n" HOST "\r\n",
	    "< > in target (as browsers send it)"),
	/* Sent unencoded by browsers and form libraries. */
	ACCEPT("GET /a\\b HTTP/1.1\r\n" HOST "\r\n",
	    "backslash in target (as browsers send it)"),
	/* Sent unencoded by browsers and form libraries. */
	ACCEPT("GET /?a[]=1 HTTP/1.1\r\n" HOST "\r\n",
	    "brackets in query (as browsers send it)"),
	REFUSE("GET a HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "relative target"),
	REFUSE("GET example.com:80 HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET,
	    400, "authority-form without CONNECT"),

	/* asterisk-form */
	ACCEPT("OPTIONS * HTTP/1.1\r\n" HOST "\r\n", "OPTIONS *"),
	REFUSE("GET * HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "* without OPTIONS"),
	REFUSE("OPTIONS ** HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "OPTIONS **"),

	/* absolute-form */
	ACCEPT("GET http://example.com/x?y HTTP/1.1\r\nHost: example.com\r\n"
	    "\r\n", "absolute-form"),
	ACCEPT("GET HTTP://Example.COM:8080 HTTP/1.1\r\n" HOST "\r\n",
	    "absolute-form, upper-case scheme, empty path"),
	ACCEPT("GET https://[::1]:443/a HTTP/1.1\r\n" HOST "\r\n",
	    "absolute-form with IPv6"),
	ACCEPT("GET http://192.0.2.1/ HTTP/1.1\r\n" HOST "\r\n",
	    "absolute-form with IPv4"),
	ACCEPT("OPTIONS http://a/ HTTP/1.1\r\n" HOST "\r\n",
	    "OPTIONS absolute-form"),
	REFUSE("GET ftp://x/ HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "other scheme"),
	REFUSE("GET http://user@host/ HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET,
	    400, "userinfo"),
	REFUSE("GET http:///x HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "empty authority"),
	REFUSE("GET http:// HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "scheme only"),
	REFUSE("GET http://host?q HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "query without a path"),
	REFUSE("GET http://host#f HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "fragment after authority"),
	REFUSE("GET http://host:99999/ HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET,
	    400, "port out of range"),
	REFUSE("GET http://host:/ HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "empty port"),
	REFUSE("GET http://host:8o/ HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET,
	    400, "letter in port"),
	REFUSE("GET http://[::1/ HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "unclosed IPv6 bracket"),
	REFUSE("GET http://[zz::1]/ HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET,
	    400, "bad IPv6"),
	REFUSE("GET http://a/b c HTTP/1.1\r\n" HOST "\r\n", BAD_REQUEST_LINE,
	    400, "SP in absolute path"),
	REFUSE("GET http://a/%zz HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "bad pct-encoding in absolute path"),

	/* authority-form */
	ACCEPT("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
	    "\r\n", "CONNECT"),
	ACCEPT("CONNECT [2001:db8::1]:443 HTTP/1.1\r\n" HOST "\r\n",
	    "CONNECT to IPv6"),
	REFUSE("CONNECT example.com HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET,
	    400, "CONNECT without a port"),
	REFUSE("CONNECT / HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "CONNECT with origin-form"),
	REFUSE("CONNECT http://a:1/ HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET,
	    400, "CONNECT with absolute-form"),
	REFUSE("CONNECT a:1:2 HTTP/1.1\r\n" HOST "\r\n", BAD_TARGET, 400,
	    "CONNECT with two ports"),

	/* field lines */
	ACCEPT(RL HOST "X-Y: z\r\n\r\n", "a second field"),
	ACCEPT(RL HOST "X-A: a\tb\r\n\r\n", "HTAB inside a value"),
	ACCEPT(RL HOST "X-A: \xff\x80 obs-text\r\n\r\n", "obs-text in value"),
	ACCEPT(RL HOST "X-A:   v  \t\r\n\r\n", "OWS around a value"),
	ACCEPT(RL HOST "X-A:\r\n\r\n", "empty value"),
	ACCEPT(RL HOST "X-A:\t\r\n\r\n", "value of OWS only"),
	ACCEPT(RL HOST "!#$%&'*+-.^_`|~09azAZ: x\r\n\r\n",
	    "every tchar in a name"),
	REFUSE(RL HOST "X-A : b\r\n\r\n", BAD_HEADER_NAME, 400,
	    "SP before the colon"),
	REFUSE(RL HOST "X-A\t: b\r\n\r\n", BAD_HEADER_NAME, 400,
	    "HTAB before the colon"),
	REFUSE(RL HOST ": b\r\n\r\n", BAD_HEADER_NAME, 400, "empty name"),
	REFUSE(RL HOST "X\"Y: b\r\n\r\n", BAD_HEADER_NAME, 400,
	    "quote in a name"),
	REFUSE(RL HOST "X\xffY: b\r\n\r\n", BAD_HEADER_NAME, 400,
	    "non-ASCII name"),
	REFUSE(RL HOST "NoColon\r\n\r\n", BAD_HEADER_NAME, 400,
	    "line without a colon"),
	REFUSE(RL HOST "X A: b\r\n\r\n", BAD_HEADER_NAME, 400,
	    "SP inside a name"),
	REFUSE(RL HOST "X-A: b\x00" "c\r\n\r\n", BAD_HEADER_VALUE, 400,
	    "NUL in a value"),
	REFUSE(RL HOST "X-A: \x7f\r\n\r\n", BAD_HEADER_VALUE, 400,
	    "DEL in a value"),
	REFUSE(RL HOST "X-A: a\x01" "b\r\n\r\n", BAD_HEADER_VALUE, 400,
	    "CTL in a value"),
	REFUSE(RL HOST "X-A: a\x1b[0m\r\n\r\n", BAD_HEADER_VALUE, 400,
	    "ESC in a value"),
	REFUSE(RL HOST "X-A: 0123456789abcdef\x0b\r\n\r\n", BAD_HEADER_VALUE,
	    400, "VT after eight clean bytes"),
	REFUSE(RL HOST "X-A: 0123456789\x7f" "abcdef\r\n\r\n",
	    BAD_HEADER_VALUE, 400, "DEL after eight clean bytes"),
	REFUSE(RL HOST "X-A: 0123456789\x00" "abcdef\r\n\r\n",
	    BAD_HEADER_VALUE, 400, "NUL after eight clean bytes"),
	REFUSE(RL HOST "X-A: 0123456789\rabcdef\r\n\r\n", BARE_CR, 400,
	    "bare CR after eight clean bytes"),
	REFUSE(RL HOST "X-A: a\r\n b\r\n\r\n", OBS_FOLD, 400,
	    "obs-fold with SP"),
	REFUSE(RL HOST "X-A: a\r\n\tb\r\n\r\n", OBS_FOLD, 400,
	    "obs-fold with HTAB"),
	REFUSE(RL " Host: a\r\n\r\n", OBS_FOLD, 400,
	    "SP right after the request line"),
	REFUSE(RL "\tHost: a\r\n\r\n", OBS_FOLD, 400,
	    "HTAB right after the request line"),
	REFUSE(RL HOST "X-A: a\rb\r\n\r\n", BARE_CR, 400,
	    "bare CR inside a value"),
	REFUSE(RL HOST "X-A: a\r\r\n\r\n", BARE_CR, 400,
	    "CR CR LF ending a line"),
	REFUSE(RL HOST "X\rA: b\r\n\r\n", BARE_CR, 400, "bare CR in a name"),
	REFUSE(RL HOST "\r\r\n\r\n", BARE_CR, 400, "CR CR LF as empty line"),
	REFUSE("GET /\r HTTP/1.1\r\n" HOST "\r\n", BARE_CR, 400,
	    "bare CR in the request line"),
	REFUSE("GET / HTTP/1.1\r\r\n" HOST "\r\n", BARE_CR, 400,
	    "CR CR LF after the request line"),
	REFUSE("GET / HTTP/1.1\n" HOST "\r\n", BARE_LF, 400,
	    "bare LF after the request line"),
	REFUSE(RL "Host: a\nX: b\r\n\r\n", BARE_LF, 400,
	    "bare LF after a field"),
	REFUSE(RL HOST "\n", BARE_LF, 400, "bare LF as the empty line"),
	REFUSE(RL "Host: a\n\r\n", BARE_LF, 400, "LF CR LF"),
	REFUSE(RL "Host: a\n\n", BARE_LF, 400, "LF LF"),

	/* Host */
	ACCEPT(RL "host: a\r\n\r\n", "lower-case Host"),
	ACCEPT(RL "HOST: example.com:8080\r\n\r\n", "Host with port"),
	ACCEPT(RL "Host: [::1]:8080\r\n\r\n", "Host IPv6"),
	ACCEPT(RL "Host: 192.0.2.1\r\n\r\n", "Host IPv4"),
	ACCEPT(RL "Host: xn--bcher-kva.example\r\n\r\n", "Host punycode"),
	ACCEPT(RL "Host: a%41\r\n\r\n", "Host pct-encoded"),
	REFUSE(RL "\r\n", NO_HOST, 400, "HTTP/1.1 without Host"),
	REFUSE(RL HOST HOST "\r\n", MULTIPLE_HOST, 400, "two Host fields"),
	REFUSE(RL "Host: a\r\nhost: b\r\n\r\n", MULTIPLE_HOST, 400,
	    "two Host fields, different case"),
	REFUSE("GET / HTTP/1.0\r\n" HOST HOST "\r\n", MULTIPLE_HOST, 400,
	    "two Host fields in HTTP/1.0"),
	REFUSE(RL "Host:\r\n\r\n", BAD_HOST, 400, "empty Host"),
	REFUSE(RL "Host: a b\r\n\r\n", BAD_HOST, 400, "SP inside Host"),
	REFUSE(RL "Host: a, b\r\n\r\n", BAD_HOST, 400, "Host list"),
	REFUSE(RL "Host: a:\r\n\r\n", BAD_HOST, 400, "Host with empty port"),
	REFUSE(RL "Host: a:65536\r\n\r\n", BAD_HOST, 400,
	    "Host port over 65535"),
	REFUSE(RL "Host: a:123456\r\n\r\n", BAD_HOST, 400,
	    "Host port with six digits"),
	REFUSE(RL "Host: :80\r\n\r\n", BAD_HOST, 400, "Host port only"),
	REFUSE(RL "Host: [::1\r\n\r\n", BAD_HOST, 400, "Host open bracket"),
	REFUSE(RL "Host: [v1.x]\r\n\r\n", BAD_HOST, 400, "Host IPvFuture"),
	REFUSE(RL "Host: []\r\n\r\n", BAD_HOST, 400, "Host empty brackets"),
	REFUSE(RL "Host: [0000:0000:0000:0000:0000:0000:0000:0000:0000]\r\n"
	    "\r\n", BAD_HOST, 400, "Host IPv6 too long"),
	REFUSE(RL "Host: [1.2.3.4]\r\n\r\n", BAD_HOST, 400,
	    "Host IPv4 in brackets"),
	REFUSE(RL "Host: a@b\r\n\r\n", BAD_HOST, 400, "Host with userinfo"),
	REFUSE(RL "Host: a/b\r\n\r\n", BAD_HOST, 400, "Host with a path"),
	REFUSE(RL "Host: a%4\r\n\r\n", BAD_HOST, 400,
	    "Host bad pct-encoding"),
	REFUSE(RL "Host: \xc3\xa9\r\n\r\n", BAD_HOST, 400, "Host UTF-8"),

	/* Content-Length */
	ACCEPT(POST CL "5\r\n\r\n", "Content-Length"),
	ACCEPT(POST CL "0\r\n\r\n", "Content-Length 0"),
	ACCEPT(POST CL "5, 5\r\n\r\n", "Content-Length list of equal values"),
	ACCEPT(POST CL "5 ,5,\t5\r\n\r\n", "Content-Length list with OWS"),
	ACCEPT(POST CL "5\r\n" CL "5\r\n\r\n", "two equal Content-Length"),
	ACCEPT(POST CL "\t7 \r\n\r\n", "Content-Length with OWS"),
	ACCEPT(POST CL "4611686018427387904\r\n\r\n", "Content-Length 2^62"),
	REFUSE(POST CL "4611686018427387905\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "Content-Length 2^62 + 1"),
	REFUSE(POST CL "99999999999999999999999\r\n\r\n", BAD_CONTENT_LENGTH,
	    400, "Content-Length over 2^64"),
	REFUSE(POST CL "5, 6\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "Content-Length list of different values"),
	REFUSE(POST CL "\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "empty Content-Length"),
	REFUSE(POST CL "5,\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "Content-Length trailing comma"),
	REFUSE(POST CL ",5\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "Content-Length leading comma"),
	REFUSE(POST CL "5,,5\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "Content-Length empty element"),
	REFUSE(POST CL "-1\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "negative Content-Length"),
	REFUSE(POST CL "5.0\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "decimal point in Content-Length"),
	REFUSE(POST CL "five\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "Content-Length in words"),

	/* Transfer-Encoding */
	ACCEPT(POST TE "chunked\r\n\r\n", "chunked"),
	ACCEPT(POST TE "CHUNKED\r\n\r\n", "CHUNKED"),
	ACCEPT(POST TE "gzip, chunked\r\n\r\n", "gzip, chunked"),
	ACCEPT(POST TE "gzip,chunked\r\n\r\n", "gzip,chunked"),
	ACCEPT(POST TE "gzip \t,  chunked\r\n\r\n", "OWS around the comma"),
	ACCEPT(POST TE "gzip\r\n" TE "chunked\r\n\r\n", "two TE fields"),
	ACCEPT(POST TE "x-gzip, deflate, compress, x-compress, identity, "
	    "chunked\r\n\r\n", "every known coding"),
	ACCEPT(POST TE ", chunked,\r\n\r\n", "empty list elements"),
	REFUSE(POST TE "chunked, gzip\r\n\r\n", TE_NOT_CHUNKED, 400,
	    "chunked not last"),
	REFUSE(POST TE "chunked\r\n" TE "gzip\r\n\r\n", TE_NOT_CHUNKED, 400,
	    "chunked not last over two fields"),
	REFUSE(POST TE "chunked, chunked\r\n\r\n", TE_NOT_CHUNKED, 400,
	    "chunked twice"),
	REFUSE(POST TE "gzip\r\n\r\n", TE_NOT_CHUNKED, 400,
	    "gzip without chunked"),
	REFUSE(POST TE "\r\n\r\n", TE_NOT_CHUNKED, 400, "empty TE"),
	REFUSE(POST TE "chunked;q=1\r\n\r\n", TE_NOT_CHUNKED, 400,
	    "chunked with a parameter"),
	REFUSE(POST TE "\"chunked\"\r\n\r\n", TE_NOT_CHUNKED, 400,
	    "quoted chunked"),
	REFUSE(POST TE "foo, chunked\r\n\r\n", TE_UNKNOWN, 501,
	    "unknown coding"),
	REFUSE(POST TE "br, chunked\r\n\r\n", TE_UNKNOWN, 501,
	    "br is not a transfer coding"),
	REFUSE("POST / HTTP/1.0\r\n" TE "chunked\r\n\r\n", TE_IN_HTTP10, 400,
	    "TE in HTTP/1.0"),

	/* request smuggling */
	REFUSE(POST CL "6\r\n" TE "chunked\r\n\r\n", CL_AND_TE, 400, "CL.TE"),
	REFUSE(POST TE "chunked\r\n" CL "6\r\n\r\n", CL_AND_TE, 400, "TE.CL"),
	REFUSE(POST CL "6\r\n" TE "gzip\r\n\r\n", CL_AND_TE, 400,
	    "CL with TE not chunked"),
	REFUSE(POST CL "0\r\n" TE "\r\n\r\n", CL_AND_TE, 400,
	    "CL with empty TE"),
	REFUSE(POST "Transfer-Encoding : chunked\r\n\r\n", BAD_HEADER_NAME,
	    400, "Transfer-Encoding SP colon"),
	REFUSE(POST " Transfer-Encoding: chunked\r\n\r\n", OBS_FOLD, 400,
	    "TE folded into Host"),
	REFUSE(POST TE "\r\n chunked\r\n\r\n", OBS_FOLD, 400,
	    "TE value on a folded line"),
	REFUSE(POST TE "gzip\r\n\t, chunked\r\n\r\n", OBS_FOLD, 400,
	    "TE list continued by obs-fold"),
	REFUSE(POST TE "xchunked\r\n\r\n", TE_UNKNOWN, 501, "xchunked"),
	REFUSE(POST TE "chunkedx\r\n\r\n", TE_UNKNOWN, 501, "chunkedx"),
	REFUSE(POST TE "chunked, identity\r\n\r\n", TE_NOT_CHUNKED, 400,
	    "chunked, identity"),
	REFUSE(POST TE "chunked\x0b\r\n\r\n", BAD_HEADER_VALUE, 400,
	    "VT after chunked"),
	REFUSE(POST TE "chunk\x00" "ed\r\n\r\n", BAD_HEADER_VALUE, 400,
	    "NUL inside chunked"),
	REFUSE(POST TE "\x00" "chunked\r\n\r\n", BAD_HEADER_VALUE, 400,
	    "NUL before chunked"),
	REFUSE(POST TE "chunked\rX: y\r\n\r\n", BARE_CR, 400,
	    "bare CR hiding a field"),
	REFUSE(POST TE "chunked\nX: y\r\n\r\n", BARE_LF, 400,
	    "bare LF hiding a field"),
	REFUSE(POST CL "5\r\n" CL "6\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "two different Content-Length"),
	REFUSE(POST CL "5\r\ncontent-length: 50\r\n\r\n", BAD_CONTENT_LENGTH,
	    400, "two different Content-Length, other case"),
	REFUSE(POST CL "+5\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "Content-Length +5"),
	REFUSE(POST CL "0x5\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "Content-Length 0x5"),
	REFUSE(POST CL "5 5\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "Content-Length 5 5"),
	REFUSE(POST CL "1 0\r\n\r\n", BAD_CONTENT_LENGTH, 400,
	    "SP inside Content-Length"),
	REFUSE(POST "Content-Length\x00: 5\r\n\r\n", BAD_HEADER_NAME, 400,
	    "NUL in a name"),
	REFUSE(POST CL "5\x00\r\n\r\n", BAD_HEADER_VALUE, 400,
	    "NUL after Content-Length"),
	REFUSE(POST CL "5\r\n\r\r\n" TE "chunked\r\n\r\n", BARE_CR, 400,
	    "CR CR LF before a second head"),
	REFUSE(POST CL "5\r\n\n" TE "chunked\r\n\r\n", BARE_LF, 400,
	    "LF ending the head early"),
	REFUSE("GET / HTTP/1.1\r\nHost: a\r\n" CL "5\r\n" TE "chunked\r\n\r\n"
	    "0\r\n\r\n", CL_AND_TE, 400, "CL.TE on GET"),
	REFUSE("GET / HTTP/1.0\r\n" TE "chunked\r\n" CL "5\r\n\r\n", CL_AND_TE,
	    400, "CL and TE in HTTP/1.0"),
};

static const struct head_case responses[] = {
	ACCEPT("HTTP/1.1 200 OK\r\n\r\n", "200 OK"),
	ACCEPT("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
	    "with Content-Length"),
	ACCEPT("HTTP/1.0 404 Not Found\r\n\r\n", "HTTP/1.0"),
	ACCEPT("HTTP/1.1 200 \r\n\r\n", "empty reason"),
	ACCEPT("HTTP/1.1 200\r\n\r\n", "no SP before an empty reason"),
	ACCEPT("HTTP/1.1 204 No\tContent \xe9\r\n\r\n",
	    "HTAB and obs-text in the reason"),
	ACCEPT("HTTP/1.1 200  OK\r\n\r\n", "reason starting with SP"),
	ACCEPT("HTTP/1.1 100 Continue\r\n\r\n", "100"),
	ACCEPT("HTTP/1.1 599 X\r\n\r\n", "599"),
	ACCEPT("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "chunked response"),
	ACCEPT("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
	    "TE not chunked: until close"),
	ACCEPT("HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\n",
	    "unknown coding in a response"),
	ACCEPT("HTTP/1.1 200 OK\r\nHost: a\r\nHost: b\r\n\r\n",
	    "Host fields mean nothing in a response"),
	ACCEPT("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
	    "Content-Length list"),
	REFUSE("HTTP/1.1 20 OK\r\n\r\n", BAD_STATUS_LINE, 502, "two digits"),
	REFUSE("HTTP/1.1 2000 OK\r\n\r\n", BAD_STATUS_LINE, 502,
	    "four digits"),
	REFUSE("HTTP/1.1 099 X\r\n\r\n", BAD_STATUS_LINE, 502, "099"),
	REFUSE("HTTP/1.1 600 X\r\n\r\n", BAD_STATUS_LINE, 502, "600"),
	REFUSE("HTTP/1.1 abc OK\r\n\r\n", BAD_STATUS_LINE, 502,
	    "letters as status"),
	REFUSE("HTTP/1.1  200 OK\r\n\r\n", BAD_STATUS_LINE, 502,
	    "two SP before the status"),
	REFUSE("HTTP/1.1\t200 OK\r\n\r\n", BAD_STATUS_LINE, 502,
	    "HTAB before the status"),
	REFUSE("HTTP/1.1 200\tOK\r\n\r\n", BAD_STATUS_LINE, 502,
	    "HTAB after the status"),
	REFUSE("HTTP/2 200 OK\r\n\r\n", BAD_STATUS_LINE, 502, "HTTP/2"),
	REFUSE("http/1.1 200 OK\r\n\r\n", BAD_STATUS_LINE, 502,
	    "lower-case http"),
	REFUSE("HTTP/1.1\r\n\r\n", BAD_STATUS_LINE, 502, "version only"),
	REFUSE("\r\n\r\n", BAD_STATUS_LINE, 502, "empty status line"),
	REFUSE("\r\nHTTP/1.1 200 OK\r\n\r\n", BAD_STATUS_LINE, 502,
	    "leading CRLF in a response"),
	REFUSE("HTTP/2.0 200 OK\r\n\r\n", VERSION_UNSUPPORTED, 502,
	    "HTTP/2.0"),
	REFUSE("HTTP/1.1 200 O\x01K\r\n\r\n", BAD_STATUS_LINE, 502,
	    "CTL in the reason"),
	REFUSE("HTTP/1.1 200 O\x7fK\r\n\r\n", BAD_STATUS_LINE, 502,
	    "DEL in the reason"),
	REFUSE("HTTP/1.1 200 O\rK\r\n\r\n", BARE_CR, 502,
	    "bare CR in the reason"),
	REFUSE("HTTP/1.1 200 OK\nX: y\r\n\r\n", BARE_LF, 502,
	    "bare LF after the status line"),
	REFUSE("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", CL_AND_TE, 502,
	    "CL and TE in a response"),
	REFUSE("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n"
	    "\r\n", TE_NOT_CHUNKED, 502, "chunked twice in a response"),
	REFUSE("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
	    BAD_CONTENT_LENGTH, 502, "different Content-Length"),
	REFUSE("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
	    BAD_CONTENT_LENGTH, 502, "negative Content-Length"),
	REFUSE("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    TE_IN_HTTP10, 502, "TE in an HTTP/1.0 response"),
	REFUSE("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", OBS_FOLD, 502,
	    "obs-fold in a response"),
	REFUSE("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", BAD_HEADER_NAME, 502,
	    "SP before the colon in a response"),
	REFUSE("HTTP/1.1 200 OK\r\nX: \x00\r\n\r\n", BAD_HEADER_VALUE, 502,
	    "NUL in a response field"),
};

/* Heads checked against other limits than the default ones. */
static const struct limit_case {
	struct http_limits	 lim;
	bool			 request;
	const char		*in;
	size_t			 len;
	enum http_error		 err;
	int			 status;
	const char		*what;
} limit_cases[] = {
	{ { 34, 1024, 100 }, true, S(RL "Host: abcdefgh\r\n\r\n"),
	    HTTP_ERR_NONE, 0, "head of exactly max_head_bytes" },
	{ { 33, 1024, 100 }, true, S(RL "Host: abcdefgh\r\n\r\n"),
	    HTTP_ERR_HEAD_TOO_LARGE, 431, "head one byte over" },
	{ { 20, 1024, 100 }, true, S(RL "Host: abcdefgh\r\n\r\n"),
	    HTTP_ERR_HEAD_TOO_LARGE, 431, "head far over" },
	{ { 20, 1024, 100 }, true, S(RL "Host: abcdefgh"),
	    HTTP_ERR_HEAD_TOO_LARGE, 431, "incomplete head over the limit" },
	{ { 20, 1024, 100 }, false, S("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"),
	    HTTP_ERR_HEAD_TOO_LARGE, 502, "response head too large" },
	{ { 8192, 16, 100 }, true, S("GET /abcd HTTP/1.1\r\n" HOST "\r\n"),
	    HTTP_ERR_LINE_TOO_LONG, 414, "request line too long" },
	{ { 8192, 16, 100 }, true, S("GET /abcdefghijklmnopqrstu"),
	    HTTP_ERR_LINE_TOO_LONG, 414,
	    "request line too long before its LF" },
	{ { 8192, 16, 100 }, true, S("GET /abcdefghijk"),
	    HTTP_ERR_LINE_TOO_LONG, 414, "max_line_bytes without a LF" },
	{ { 8192, 16, 100 }, true, S("GET / HTTP/1.1\r\n" HOST "\r\n"),
	    HTTP_ERR_NONE, 0, "request line of exactly max_line_bytes" },
	{ { 8192, 16, 100 }, true,
	    S("\r\n\r\nGET / HTTP/1.1\r\nHost: a-long-host-name\r\n\r\n"),
	    HTTP_ERR_NONE, 0, "leading CRLF and fields not in the line" },
	{ { 8192, 16, 100 }, false, S("HTTP/1.1 200 OK, fine\r\n\r\n"),
	    HTTP_ERR_LINE_TOO_LONG, 502, "status line too long" },
	{ { 8192, 1024, 2 }, true, S(RL HOST "X: 1\r\n\r\n"),
	    HTTP_ERR_NONE, 0, "max_headers fields" },
	{ { 8192, 1024, 2 }, true, S(RL HOST "X: 1\r\nY: 2\r\n\r\n"),
	    HTTP_ERR_TOO_MANY_HEADERS, 431, "max_headers + 1 fields" },
	{ { 8192, 1024, 0 }, true, S("GET / HTTP/1.0\r\n\r\n"),
	    HTTP_ERR_NONE, 0, "no fields with max_headers 0" },
	{ { 8192, 1024, 2 }, false, S("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n"
	    "C: 3\r\n\r\n"), HTTP_ERR_TOO_MANY_HEADERS, 502,
	    "too many fields in a response" },
	{ { 8, 1024, 100 }, true, S("\r\n\r\n\r\n\r\n"),
	    HTTP_ERR_HEAD_TOO_LARGE, 431, "leading CRLF filling the limit" },
};

struct chunk_case {
	const char		*in;
	size_t			 len;
	enum http_chunk_result	 res;	/* DONE, ERROR or AGAIN at the end */
	const char		*body;
	size_t			 bodylen;
	const char		*trailers;
	const char		*what;
};

#define CHUNK(s, res, body, tr, what) \
	{ S(s), HTTP_CHUNK_##res, S(body), tr, what }

static const struct chunk_case chunks[] = {
	CHUNK("0\r\n\r\n", DONE, "", "", "empty body"),
	CHUNK("5\r\nhello\r\n0\r\n\r\n", DONE, "hello", "", "one chunk"),
	CHUNK("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", DONE, "hello world",
	    "", "two chunks"),
	CHUNK("A\r\n0123456789\r\n0\r\n\r\n", DONE, "0123456789", "",
	    "upper-case hex"),
	CHUNK("a\r\n0123456789\r\n0\r\n\r\n", DONE, "0123456789", "",
	    "lower-case hex"),
	CHUNK("005\r\nhello\r\n000\r\n\r\n", DONE, "hello", "",
	    "leading zeros"),
	CHUNK("0000000000000005\r\nhello\r\n0\r\n\r\n", DONE, "hello", "",
	    "sixteen digits"),
	CHUNK("4\r\n\r\n\r\n\r\n0\r\n\r\n", DONE, "\r\n\r\n", "",
	    "CRLF inside data"),
	CHUNK("3\r\n\x00\xff\n\r\n0\r\n\r\n", DONE, "\x00\xff\n", "",
	    "binary data"),
	CHUNK("5\r\nhel", AGAIN, "hel", "", "incomplete chunk"),
	CHUNK("5\r\nhello\r\n", AGAIN, "hello", "", "no last chunk yet"),
	CHUNK("0\r\nX: y\r\n", AGAIN, "", "X: y\r\n", "trailers not ended"),
	CHUNK("4000000000000000\r\nab", AGAIN, "ab", "",
	    "chunk of 2^62 bytes"),
	CHUNK("4000000000000001\r\n", ERROR, "", "", "chunk over 2^62"),
	CHUNK("FFFFFFFFFFFFFFFF\r\n", ERROR, "", "", "chunk of 2^64 - 1"),
	CHUNK("00000000000000005\r\n", ERROR, "", "", "seventeen digits"),
	CHUNK("\r\n", ERROR, "", "", "no size"),
	CHUNK(";a\r\n", ERROR, "", "", "extension without size"),
	CHUNK("x\r\n", ERROR, "", "", "letter as size"),
	CHUNK("-5\r\n", ERROR, "", "", "negative size"),
	CHUNK("+5\r\n", ERROR, "", "", "size with a sign"),
	CHUNK("0x5\r\nhello\r\n0\r\n\r\n", ERROR, "", "", "0x prefix"),
	CHUNK(" 5\r\n", ERROR, "", "", "SP before the size"),
	CHUNK("5 \r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "SP after the size"),
	CHUNK("5\nhello\r\n0\r\n\r\n", ERROR, "", "", "bare LF after size"),
	CHUNK("5\rhello\r\n0\r\n\r\n", ERROR, "", "", "bare CR after size"),
	CHUNK("5\r\nhelloX\r\n0\r\n\r\n", ERROR, "hello", "",
	    "data longer than its size"),
	CHUNK("5\r\nhell\r\n0\r\n\r\n", ERROR, "hell\r", "",
	    "data shorter than its size"),
	CHUNK("5\r\nhello\n0\r\n\r\n", ERROR, "hello", "",
	    "bare LF after data"),
	CHUNK("5\r\nhello\r0\r\n\r\n", ERROR, "hello", "",
	    "bare CR after data"),
	CHUNK("5\r\nhello0\r\n\r\n", ERROR, "hello", "",
	    "no CRLF after data"),
	CHUNK("0\r\n\n", ERROR, "", "", "bare LF ending trailers"),
	CHUNK("0\n\r\n", ERROR, "", "", "bare LF after last chunk"),

	/* extensions */
	CHUNK("5;a\r\nhello\r\n0\r\n\r\n", DONE, "hello", "", "ext name"),
	CHUNK("5;a=b\r\nhello\r\n0\r\n\r\n", DONE, "hello", "",
	    "ext token value"),
	CHUNK("5;name=value\r\nhello\r\n0\r\n\r\n", DONE, "hello", "",
	    "ext longer token value"),
	CHUNK("5;a=\"b c\"\r\nhello\r\n0\r\n\r\n", DONE, "hello", "",
	    "ext quoted value"),
	CHUNK("5;a=\"q\\\"x\\\\\"\r\nhello\r\n0\r\n\r\n", DONE, "hello", "",
	    "ext quoted-pair"),
	CHUNK("5 ; a = b\r\nhello\r\n0\r\n\r\n", DONE, "hello", "",
	    "ext with BWS"),
	CHUNK("5\t;\ta\t=\t\"v\"\r\nhello\r\n0\r\n\r\n", DONE, "hello", "",
	    "ext with HTAB BWS"),
	CHUNK("5;a;b=c;d=\"e\";f\r\nhello\r\n0\r\n\r\n", DONE, "hello", "",
	    "several ext"),
	CHUNK("5;a=\"\"\r\nhello\r\n0\r\n\r\n", DONE, "hello", "",
	    "ext empty quoted value"),
	CHUNK("0;last=1\r\n\r\n", DONE, "", "", "ext on the last chunk"),
	CHUNK("5;\r\nhello\r\n0\r\n\r\n", ERROR, "", "", "ext without name"),
	CHUNK("5;=b\r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "ext value without name"),
	CHUNK("5;a=\r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "ext = without value"),
	CHUNK("5;a \r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "BWS at the end of ext"),
	CHUNK("5;a=b \r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "BWS after ext value"),
	CHUNK("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "junk after quoted value"),
	CHUNK("5;a=\"open\r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "unterminated quoted value"),
	CHUNK("5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "CTL in quoted value"),
	CHUNK("5;a@b\r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "delimiter in ext name"),
	CHUNK("5;a=b=c\r\nhello\r\n0\r\n\r\n", ERROR, "", "",
	    "two = in an ext"),
	CHUNK("5;a\nhello\r\n0\r\n\r\n", ERROR, "", "", "bare LF after ext"),
	CHUNK("5;a\rhello\r\n0\r\n\r\n", ERROR, "", "", "bare CR after ext"),
	CHUNK("5;a\x00\r\nhello\r\n0\r\n\r\n", ERROR, "", "", "NUL in ext"),

	/* trailers */
	CHUNK("0\r\nX-T: 1\r\n\r\n", DONE, "", "X-T: 1\r\n", "a trailer"),
	CHUNK("3\r\nabc\r\n0\r\nA: 1\r\nB:\t2 \r\n\r\n", DONE, "abc",
	    "A: 1\r\nB:\t2 \r\n", "two trailers"),
	CHUNK("0\r\nX: a\r\n b\r\n\r\n", ERROR, "", "X: a\r\n",
	    "obs-fold in trailers"),
	CHUNK("0\r\nX Y: a\r\n\r\n", ERROR, "", "", "bad trailer name"),
	CHUNK("0\r\nX : a\r\n\r\n", ERROR, "", "",
	    "SP before colon in a trailer"),
	CHUNK("0\r\nNoColon\r\n\r\n", ERROR, "", "", "trailer without colon"),
	CHUNK("0\r\nX: a\n\r\n", ERROR, "", "", "bare LF in trailers"),
	CHUNK("0\r\nX: a\rb\r\n\r\n", ERROR, "", "", "bare CR in a trailer"),
	CHUNK("0\r\nX: \x00\r\n\r\n", ERROR, "", "", "NUL in a trailer"),
	CHUNK("0\r\n\rx\r\n", ERROR, "", "", "CR starting a trailer line"),
};

static void	 check_head(const struct head_case *, bool,
		    const struct http_limits *);
static enum http_result parse(bool, struct http_parser *, const char *,
		    size_t, const struct http_limits *, struct http_head *);
static bool	 same_head(const struct http_head *,
		    const struct http_head *);
static bool	 slice_is(const char *, struct http_slice, const char *);
static enum http_chunk_result dechunk(const char *, size_t, size_t, size_t,
		    char *, size_t *, char *, size_t *, size_t *, uint64_t *);
static void	 check_chunk(const struct chunk_case *);
static void	 check_details(void);
static void	 check_classes(void);
static void	 check_chunk_limits(void);
static void	 check_incremental(void);
static void	 check_golden(void);

int
main(void)
{
	size_t	i;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		check_head(&requests[i], true, &limits);
	for (i = 0; i < sizeof(responses) / sizeof(responses[0]); i++)
		check_head(&responses[i], false, &limits);
	for (i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
		const struct limit_case	*lc = &limit_cases[i];
		struct head_case	 hc = { lc->in, lc->len, lc->err,
					    lc->status, lc->what };

		check_head(&hc, lc->request, &lc->lim);
	}
	check_incremental();
	check_details();
	check_classes();
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		check_chunk(&chunks[i]);
	check_chunk_limits();
	check_golden();
	return tap_done();
}

static enum http_result
parse(bool request, struct http_parser *ps, const char *buf, size_t len,
    const struct http_limits *lim, struct http_head *h)
{
	return request ? http_parse_request(ps, buf, len, lim, h) :
	    http_parse_response(ps, buf, len, lim, h);
}

/*
 * Parses tc whole, then one byte at a time with each prefix in a buffer of
 * its own size (so ASan sees any read past it): the answer must be
 * HTTP_AGAIN until the head is complete, then the same as whole.
 */
static void
check_head(const struct head_case *tc, bool request,
    const struct http_limits *lim)
{
	static struct http_head	 whole, part;
	struct http_parser	 ps;
	enum http_result	 r, want, rp = HTTP_AGAIN;
	const char		*kind = request ? "request" : "response";
	char			*buf;
	size_t			 k;
	bool			 early = false, pass;

	want = tc->err == HTTP_ERR_NONE ? HTTP_OK : HTTP_ERROR;
	buf = malloc(tc->len ? tc->len : 1);
	memcpy(buf, tc->in, tc->len);
	http_parser_init(&ps);
	r = parse(request, &ps, buf, tc->len, lim, &whole);
	free(buf);
	if (want == HTTP_OK)
		pass = r == HTTP_OK && whole.head_len == tc->len &&
		    whole.error == HTTP_ERR_NONE;
	else
		pass = r == HTTP_ERROR && whole.error == tc->err &&
		    whole.error_status == tc->status;
	if (want == HTTP_OK)
		ok(pass, "%s: %s: accepted", kind, tc->what);
	else
		ok(pass, "%s: %s: %d %s", kind, tc->what, tc->status,
		    http_error_names[tc->err]);
	if (!pass)
		printf("#   got %s, %d %s\n", r == HTTP_OK ? "HTTP_OK" :
		    r == HTTP_AGAIN ? "HTTP_AGAIN" : "HTTP_ERROR",
		    r == HTTP_ERROR ? whole.error_status : 0,
		    r == HTTP_ERROR ? http_error_names[whole.error] : "");

	http_parser_init(&ps);
	for (k = 1; k <= tc->len && rp == HTTP_AGAIN; k++) {
		buf = malloc(k);
		memcpy(buf, tc->in, k);
		rp = parse(request, &ps, buf, k, lim, &part);
		free(buf);
		if (rp == HTTP_OK && k < tc->len)
			early = true;
	}
	if (want == HTTP_OK)
		pass = rp == HTTP_OK && !early &&
		    same_head(&whole, &part);
	else
		pass = rp == HTTP_ERROR && part.error == tc->err &&
		    part.error_status == tc->status;
	ok(pass, "%s: %s: same byte by byte", kind, tc->what);
	if (!pass)
		printf("#   got %s, %s\n", rp == HTTP_OK ? "HTTP_OK" :
		    rp == HTTP_AGAIN ? "HTTP_AGAIN" : "HTTP_ERROR",
		    rp == HTTP_ERROR ? http_error_names[part.error] : "");
}

static bool
same_slice(struct http_slice a, struct http_slice b)
{
	return a.off == b.off && a.len == b.len;
}

static bool
same_head(const struct http_head *a, const struct http_head *b)
{
	uint32_t	i;

	if (!same_slice(a->method, b->method) || a->meth != b->meth ||
	    !same_slice(a->target, b->target) || a->form != b->form ||
	    !same_slice(a->authority, b->authority) ||
	    !same_slice(a->path, b->path) || a->status != b->status ||
	    !same_slice(a->reason, b->reason) ||
	    a->version_minor != b->version_minor ||
	    a->line_len != b->line_len || a->head_len != b->head_len ||
	    a->nheaders != b->nheaders || a->host != b->host ||
	    a->has_content_length != b->has_content_length ||
	    a->content_length != b->content_length ||
	    a->chunked != b->chunked || a->conn_close != b->conn_close ||
	    a->conn_keep_alive != b->conn_keep_alive ||
	    a->conn_upgrade != b->conn_upgrade ||
	    a->has_upgrade != b->has_upgrade ||
	    a->expect_continue != b->expect_continue ||
	    a->te_trailers != b->te_trailers || a->error != b->error)
		return false;
	for (i = 0; i < a->nheaders; i++) {
		if (!same_slice(a->headers[i].name, b->headers[i].name) ||
		    !same_slice(a->headers[i].value, b->headers[i].value) ||
		    a->headers[i].id != b->headers[i].id ||
		    a->headers[i].line_off != b->headers[i].line_off ||
		    a->headers[i].line_len != b->headers[i].line_len)
			return false;
	}
	return true;
}

static bool
slice_is(const char *buf, struct http_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(buf + s.off, want, s.len) == 0;
}

/* HTTP_AGAIN on incomplete heads, and resuming where the search stopped. */
static void
check_incremental(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
		bool		 request;
	} again[] = {
		{ S(""), true }, { S("\r"), true }, { S("\r\n"), true },
		{ S("\r\n\r\n\r\n\r\n"), true }, { S("G"), true },
		{ S(RL), true }, { S(RL HOST), true },
		{ S(RL HOST "\r"), true },
		{ S("HTTP/1.1 200 OK\r\n"), false },
		{ S("HTTP/1.1 200 OK\r\nA: b\r\n\r"), false },
		{ S(""), false },
	};
	static struct http_head	 h;
	struct http_parser	 ps;
	const char		*in = RL HOST "X: 1\r\n\r\nBODY";
	size_t			 i, len = strlen(in);
	enum http_result	 r;

	for (i = 0; i < sizeof(again) / sizeof(again[0]); i++) {
		http_parser_init(&ps);
		r = parse(again[i].request, &ps, again[i].in, again[i].len,
		    &limits, &h);
		ok(r == HTTP_AGAIN && ps.scanned <= again[i].len,
		    "incomplete head %zu answers HTTP_AGAIN", i);
	}

	http_parser_init(&ps);
	r = http_parse_request(&ps, in, 20, &limits, &h);
	ok(r == HTTP_AGAIN && ps.scanned == 20 && ps.line_end == 16,
	    "search stops at the end of the data (scanned %u)", ps.scanned);
	r = http_parse_request(&ps, in, len, &limits, &h);
	ok(r == HTTP_OK && h.head_len == len - 4 && ps.scanned == len - 4,
	    "bytes after the head are left alone (head_len %u)", h.head_len);

	/*
	 * The search resumes where it stopped: a bare LF slipped in behind
	 * it is not seen by the search (only by the field parse, later).
	 */
	http_parser_init(&ps);
	r = http_parse_request(&ps, RL "Host: a\r\nX: 1", 30, &limits, &h);
	ok(r == HTTP_AGAIN && ps.scanned == 30, "first part searched");
	r = http_parse_request(&ps, RL "Host: a \nX: 1\r\n\r\n", 34, &limits,
	    &h);
	ok(r == HTTP_ERROR && h.error == HTTP_ERR_BAD_HEADER_VALUE,
	    "resumed search does not rescan (got \"%s\")",
	    http_error_names[h.error]);
}

/* Slices, ids and flags of accepted heads. */
static void
check_details(void)
{
	static struct http_head	 h;
	struct http_parser	 ps;
	const char		*in;
	size_t			 i;
	enum http_result	 r;
	static const struct {
		const char		*name;
		enum http_header_id	 id;
	} ids[] = {
		{ "Host", HTTP_H_HOST }, { "content-length",
		    HTTP_H_CONTENT_LENGTH }, { "Transfer-Encoding",
		    HTTP_H_TRANSFER_ENCODING }, { "CONNECTION",
		    HTTP_H_CONNECTION }, { "Keep-Alive", HTTP_H_KEEP_ALIVE },
		{ "Proxy-Connection", HTTP_H_PROXY_CONNECTION },
		{ "TE", HTTP_H_TE }, { "Trailer", HTTP_H_TRAILER },
		{ "Upgrade", HTTP_H_UPGRADE }, { "Proxy-Authorization",
		    HTTP_H_PROXY_AUTHORIZATION }, { "Expect", HTTP_H_EXPECT },
		{ "X-Forwarded-For", HTTP_H_X_FORWARDED_FOR },
		{ "x-forwarded-proto", HTTP_H_X_FORWARDED_PROTO },
		{ "X-Forwarded-Host", HTTP_H_X_FORWARDED_HOST },
		{ "X-Real-IP", HTTP_H_X_REAL_IP }, { "Via", HTTP_H_VIA },
		{ "Date", HTTP_H_DATE }, { "Server", HTTP_H_SERVER },
		{ "Location", HTTP_H_LOCATION },
		{ "User-Agent", HTTP_H_USER_AGENT },
		{ "Referer", HTTP_H_REFERER },
		{ "Hosts", HTTP_H_OTHER }, { "Hos", HTTP_H_OTHER },
		{ "Content-Lengt", HTTP_H_OTHER },
		{ "Transfer_Encoding", HTTP_H_OTHER },
		{ "X-Forwarded-Fo", HTTP_H_OTHER }, { "T", HTTP_H_OTHER },
		{ "TEE", HTTP_H_OTHER }, { "Referrer", HTTP_H_OTHER },
		{ "Cookie", HTTP_H_OTHER },
	};
	static const char *methods[] = {
		"X", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
		"OPTIONS", "TRACE", "PATCH"
	};
	static const char *others[] = {
		"get", "GETS", "PUTS", "HEADS", "REPORT", "OPTION", "CONNECTS",
		"PROPFIND", "Post", "Patch", "TRACE!"
	};
	static const struct http_limits big = { 65536, 1024, 1000 };
	static char	 many[8192];
	char		 buf[256];
	bool		 good;
	int		 n;

	in = "GET /p?q HTTP/1.1\r\nHost: example.com\r\nX-Empty:\r\n"
	    "User-Agent:  t/1 \t\r\n\r\nBODY";
	http_parser_init(&ps);
	r = http_parse_request(&ps, in, strlen(in), &limits, &h);
	ok(r == HTTP_OK, "detail request parsed");
	ok(slice_is(in, h.method, "GET") && h.meth == HTTP_M_GET &&
	    slice_is(in, h.target, "/p?q") && slice_is(in, h.path, "/p?q") &&
	    h.form == HTTP_TARGET_ORIGIN && h.version_minor == 1 &&
	    h.line_len == 19 && h.head_len == strlen(in) - 4,
	    "request line slices");
	ok(h.nheaders == 3 && h.host == 0 &&
	    slice_is(in, h.headers[0].name, "Host") &&
	    slice_is(in, h.headers[0].value, "example.com") &&
	    h.headers[0].id == HTTP_H_HOST && h.headers[0].line_off == 19 &&
	    h.headers[0].line_len == 19 &&
	    slice_is(in, h.headers[1].name, "X-Empty") &&
	    h.headers[1].value.len == 0 && h.headers[1].id == HTTP_H_OTHER &&
	    slice_is(in, h.headers[2].value, "t/1") &&
	    h.headers[2].id == HTTP_H_USER_AGENT,
	    "field slices, OWS trimmed, ids");
	ok(!h.has_content_length && !h.chunked && !h.conn_close &&
	    !h.conn_keep_alive && !h.expect_continue,
	    "no framing or connection flags");

	in = "\r\n\r\nPUT http://Example.com:81/a/b?c HTTP/1.0\r\n\r\n";
	http_parser_init(&ps);
	r = http_parse_request(&ps, in, strlen(in), &limits, &h);
	ok(r == HTTP_OK && h.method.off == 4 && h.meth == HTTP_M_PUT &&
	    h.form == HTTP_TARGET_ABSOLUTE &&
	    slice_is(in, h.authority, "Example.com:81") &&
	    slice_is(in, h.path, "/a/b?c") && h.version_minor == 0 &&
	    h.host == -1 && h.line_len == strlen(in) - 6 &&
	    h.head_len == strlen(in), "absolute-form after leading CRLF");

	in = "GET https://a HTTP/1.1\r\nHost: b\r\n\r\n";
	http_parser_init(&ps);
	r = http_parse_request(&ps, in, strlen(in), &limits, &h);
	ok(r == HTTP_OK && slice_is(in, h.authority, "a") &&
	    h.path.len == 0 && h.path.off == 13 && h.host == 0,
	    "absolute-form with empty path");

	in = "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n";
	http_parser_init(&ps);
	r = http_parse_request(&ps, in, strlen(in), &limits, &h);
	ok(r == HTTP_OK && h.meth == HTTP_M_CONNECT &&
	    h.form == HTTP_TARGET_AUTHORITY &&
	    slice_is(in, h.authority, "a.example:443") && h.path.len == 0,
	    "authority-form");

	in = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n";
	http_parser_init(&ps);
	r = http_parse_request(&ps, in, strlen(in), &limits, &h);
	ok(r == HTTP_OK && h.meth == HTTP_M_OPTIONS &&
	    h.form == HTTP_TARGET_ASTERISK && slice_is(in, h.target, "*"),
	    "asterisk-form");

	in = "POST /u HTTP/1.1\r\nHost: a\r\n"
	    "Connection: Keep-Alive, Upgrade\r\n"
	    "connection: close ,, X-Foo\r\nUpgrade: websocket\r\n"
	    "Expect: 100-Continue\r\nTE: deflate;q=0.5, trailers\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n";
	http_parser_init(&ps);
	r = http_parse_request(&ps, in, strlen(in), &limits, &h);
	ok(r == HTTP_OK && h.meth == HTTP_M_POST && h.conn_close &&
	    h.conn_keep_alive && h.conn_upgrade && h.has_upgrade &&
	    h.expect_continue && h.te_trailers && h.chunked &&
	    !h.has_content_length, "connection, upgrade, expect, TE flags");
	ok(http_connection_has(in, &h, "x-foo", 5) &&
	    http_connection_has(in, &h, "UPGRADE", 7) &&
	    !http_connection_has(in, &h, "x-fo", 4) &&
	    !http_connection_has(in, &h, "foo", 3),
	    "http_connection_has");
	ok(http_slice_eq(in, h.headers[4].value, "100-continue") &&
	    http_slice_eq(in, h.headers[3].name, "upgrade") &&
	    !http_slice_eq(in, h.headers[3].name, "upgrad") &&
	    !http_slice_eq(in, h.headers[3].name, "upgrades"),
	    "http_slice_eq");

	in = "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\n"
	    "TE: trailersx\r\nContent-Length: 007\r\n\r\n";
	http_parser_init(&ps);
	r = http_parse_request(&ps, in, strlen(in), &limits, &h);
	ok(r == HTTP_OK && !h.expect_continue && !h.te_trailers &&
	    h.has_content_length && h.content_length == 7 && !h.chunked,
	    "near misses set no flag; Content-Length 007 is 7");

	in = "HTTP/1.1 404 Not Found\r\nServer: x\r\nContent-Length: 0\r\n\r\n";
	http_parser_init(&ps);
	r = http_parse_response(&ps, in, strlen(in), &limits, &h);
	ok(r == HTTP_OK && h.status == 404 &&
	    slice_is(in, h.reason, "Not Found") && h.version_minor == 1 &&
	    h.has_content_length && h.content_length == 0 && h.nheaders == 2 &&
	    h.headers[0].id == HTTP_H_SERVER && h.line_len == 24,
	    "status line slices");
	in = "HTTP/1.1 200\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
	http_parser_init(&ps);
	r = http_parse_response(&ps, in, strlen(in), &limits, &h);
	ok(r == HTTP_OK && h.status == 200 && h.reason.len == 0 &&
	    h.reason.off <= h.head_len && !h.chunked,
	    "response TE not ending in chunked runs until close");

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n%s: 1\r\n\r\n",
		    ids[i].name);
		http_parser_init(&ps);
		r = http_parse_response(&ps, buf, strlen(buf), &limits, &h);
		ok(r == HTTP_OK && h.headers[0].id == ids[i].id,
		    "header id of %s is %d", ids[i].name, ids[i].id);
	}
	good = true;
	for (i = 1; i < sizeof(methods) / sizeof(methods[0]); i++) {
		snprintf(buf, sizeof(buf), "%s http://a/ HTTP/1.1\r\n"
		    "Host: a\r\n\r\n", methods[i]);
		http_parser_init(&ps);
		r = http_parse_request(&ps, buf, strlen(buf), &limits, &h);
		if (i == HTTP_M_CONNECT)
			good = good && r == HTTP_ERROR;
		else
			good = good && r == HTTP_OK && (size_t)h.meth == i;
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(buf, sizeof(buf), "%s / HTTP/1.1\r\nHost: a\r\n\r\n",
		    others[i]);
		http_parser_init(&ps);
		r = http_parse_request(&ps, buf, strlen(buf), &limits, &h);
		good = good && r == HTTP_OK && h.meth == HTTP_M_OTHER;
	}
	ok(good, "method ids, case-sensitive");

	/* max_headers is capped at HTTP_MAX_HEADERS_LIMIT */
	for (n = 0, i = 0; i <= HTTP_MAX_HEADERS_LIMIT; i++) {
		n += snprintf(many + n, sizeof(many) - n, "%s: 1\r\n",
		    i == 0 ? "GET / HTTP/1.1\r\nHost" : "X");
	}
	snprintf(many + n, sizeof(many) - n, "\r\n");
	http_parser_init(&ps);
	r = http_parse_request(&ps, many, strlen(many), &big, &h);
	ok(r == HTTP_ERROR && h.error == HTTP_ERR_TOO_MANY_HEADERS,
	    "%d fields refused even with max_headers 1000",
	    HTTP_MAX_HEADERS_LIMIT + 1);
	n -= strlen("X: 1\r\n");
	snprintf(many + n, sizeof(many) - n, "\r\n");
	http_parser_init(&ps);
	r = http_parse_request(&ps, many, strlen(many), &big, &h);
	ok(r == HTTP_OK && h.nheaders == HTTP_MAX_HEADERS_LIMIT,
	    "%d fields accepted", HTTP_MAX_HEADERS_LIMIT);
	good = true;
	for (i = 0; i < HTTP_ERR_MAX; i++)
		good = good && http_error_names[i] != NULL &&
		    http_error_names[i][0] != '\0';
	ok(good, "every error has a name");
}

/*
 * Every byte value in a name, a value, a target and a Host, checked
 * against the RFC sets spelled out here rather than the parser's table.
 */
static void
check_classes(void)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	/* RFC 3986 pchar, "/", "?", and what browsers send unencoded. */
	static const char pchar[] = "-._~!$&'()*+,;=:@/?0123456789"
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "[]{}|^\"<>\\`";
	static const char hchar[] = "-._~!$&'()*+,;=0123456789"
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	static struct http_head	 h;
	struct http_parser	 ps;
	char			 buf[128];
	int			 c, n, bad[4] = { -1, -1, -1, -1 };
	bool			 want, got;

	for (c = 0; c < 256; c++) {
		if (c == '\r' || c == '\n')
			continue;
		/* name */
		if (c != ':') {
			n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n"
			    "Host: a\r\nA%cB: v\r\n\r\n", 'x');
			buf[26] = (char)c;
			want = c != 0 && strchr(tchar, c) != NULL;
			http_parser_init(&ps);
			got = http_parse_request(&ps, buf, n, &limits, &h) ==
			    HTTP_OK;
			if (want != got && bad[0] < 0)
				bad[0] = c;
		}
		/* value: short, then inside a word of a long one */
		want = c == '\t' || (c >= 0x20 && c != 0x7f);
		n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n"
		    "A: axb\r\n\r\n");
		buf[29] = (char)c;
		http_parser_init(&ps);
		got = http_parse_request(&ps, buf, n, &limits, &h) == HTTP_OK;
		n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n"
		    "A: 0123456789x0123456789\r\n\r\n");
		buf[38] = (char)c;
		http_parser_init(&ps);
		got = got && http_parse_request(&ps, buf, n, &limits, &h) ==
		    HTTP_OK;
		if (want != got && bad[1] < 0)
			bad[1] = c;
		/* target */
		if (c != ' ' && c != '%') {
			n = snprintf(buf, sizeof(buf), "GET /x HTTP/1.1\r\n"
			    "Host: a\r\n\r\n");
			buf[5] = (char)c;
			want = c != 0 && strchr(pchar, c) != NULL;
			http_parser_init(&ps);
			got = http_parse_request(&ps, buf, n, &limits, &h) ==
			    HTTP_OK;
			if (want != got && bad[2] < 0)
				bad[2] = c;
		}
		/* Host */
		if (c != ':' && c != '%' && c != ' ' && c != '\t') {
			n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n"
			    "Host: axb\r\n\r\n");
			buf[23] = (char)c;
			want = c != 0 && strchr(hchar, c) != NULL;
			http_parser_init(&ps);
			got = http_parse_request(&ps, buf, n, &limits, &h) ==
			    HTTP_OK;
			if (want != got && bad[3] < 0)
				bad[3] = c;
		}
	}
	ok(bad[0] < 0, "field name bytes are tchar (first wrong: %d)",
	    bad[0]);
	ok(bad[1] < 0, "field value bytes are HTAB SP VCHAR obs-text "
	    "(first wrong: %d)", bad[1]);
	ok(bad[2] < 0, "target bytes are RFC 3986 pchar / ? and the "
	    "unencoded ones browsers send (first wrong: %d)", bad[2]);
	ok(bad[3] < 0, "Host bytes are RFC 3986 reg-name (first wrong: %d)",
	    bad[3]);
}

/*
 * Feeds in[0..len) to a decoder the way a connection does: first split
 * bytes (0: all), then step bytes at a time (0: the rest), keeping what was
 * not consumed. Collects body and trailers; *used is the input consumed.
 */
static enum http_chunk_result
dechunk(const char *in, size_t len, size_t split, size_t step, char *body,
    size_t *bodylen, char *tr, size_t *trlen, size_t *used, uint64_t *total)
{
	struct http_chunked	 c;
	enum http_chunk_result	 r;
	size_t			 have, pos = 0, cons, off, n, loops = 0;
	char			*win;

	http_chunked_init(&c);
	*bodylen = *trlen = 0;
	have = split ? split : (step ? step : len);
	if (have > len)
		have = len;
	for (;;) {
		if (++loops > 4 * len + 16)
			return HTTP_CHUNK_ERROR;	/* no progress */
		/* a window of exactly the bytes offered */
		win = malloc(have - pos ? have - pos : 1);
		memcpy(win, in + pos, have - pos);
		r = http_chunked_next(&c, win, have - pos, &cons, &off, &n);
		if (cons > have - pos || (r == HTTP_CHUNK_DATA &&
		    (n == 0 || off + n > cons)) || (r == HTTP_CHUNK_TRAILER &&
		    off + n > cons)) {
			free(win);
			return HTTP_CHUNK_ERROR;
		}
		if (r == HTTP_CHUNK_DATA) {
			memcpy(body + *bodylen, win + off, n);
			*bodylen += n;
		} else if (r == HTTP_CHUNK_TRAILER) {
			memcpy(tr + *trlen, win + off, n);
			*trlen += n;
		}
		free(win);
		pos += cons;
		*used = pos;
		*total = c.total;
		if (r == HTTP_CHUNK_DONE || r == HTTP_CHUNK_ERROR)
			return r;
		if (r == HTTP_CHUNK_AGAIN) {
			if (have == len)
				return r;
			have = step ? have + step : len;
			if (have > len)
				have = len;
		}
	}
}

static void
check_chunk(const struct chunk_case *tc)
{
	static char		 body[16384], tr[16384];
	enum http_chunk_result	 r;
	size_t			 bl, tl, used, split, step;
	uint64_t		 total;
	bool			 good = true;
	size_t			 fails = 0;

	r = dechunk(tc->in, tc->len, 0, 0, body, &bl, tr, &tl, &used, &total);
	ok(r == tc->res && bl == tc->bodylen &&
	    memcmp(body, tc->body, bl) == 0 && tl == strlen(tc->trailers) &&
	    memcmp(tr, tc->trailers, tl) == 0 && total == bl &&
	    (r != HTTP_CHUNK_DONE || used == tc->len) && used <= tc->len,
	    "chunked: %s (got %d, body %zu bytes)", tc->what, r, bl);

	/* the body may differ only in where an error stops it */
	for (step = 1; step <= 3; step++) {
		for (split = 0; split <= tc->len; split++) {
			r = dechunk(tc->in, tc->len, split, step, body, &bl,
			    tr, &tl, &used, &total);
			if (r != tc->res || total != bl ||
			    (r != HTTP_CHUNK_ERROR && (bl != tc->bodylen ||
			    memcmp(body, tc->body, bl) != 0 ||
			    tl != strlen(tc->trailers) ||
			    memcmp(tr, tc->trailers, tl) != 0))) {
				good = false;
				fails++;
			}
		}
	}
	ok(good, "chunked: %s, every split, 1 to 3 bytes at a time "
	    "(%zu wrong)", tc->what, fails);
}

/* The 4096-byte extension and 8192-byte trailer bounds, and DONE. */
static void
check_chunk_limits(void)
{
	static char		 in[20000], body[20000], tr[20000];
	struct http_chunked	 c;
	enum http_chunk_result	 r;
	size_t			 n, bl, tl, used, cons, off, len;
	uint64_t		 total;

	n = (size_t)snprintf(in, sizeof(in), "1;");
	memset(in + n, 'e', 4095);
	n += 4095;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nx\r\n0\r\n\r\n");
	r = dechunk(in, n, 0, 0, body, &bl, tr, &tl, &used, &total);
	ok(r == HTTP_CHUNK_DONE && bl == 1, "extension of 4096 bytes");
	n = (size_t)snprintf(in, sizeof(in), "1;");
	memset(in + n, 'e', 4096);
	n += 4096;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nx\r\n0\r\n\r\n");
	r = dechunk(in, n, 0, 0, body, &bl, tr, &tl, &used, &total);
	ok(r == HTTP_CHUNK_ERROR, "extension of 4097 bytes");
	r = dechunk(in, n, 0, 7, body, &bl, tr, &tl, &used, &total);
	ok(r == HTTP_CHUNK_ERROR, "extension of 4097 bytes, 7 at a time");

	/* trailers: "X: " + value + CRLF + final CRLF = 8192 */
	n = (size_t)snprintf(in, sizeof(in), "0\r\nX: ");
	memset(in + n, 'v', 8192 - 7);
	n += 8192 - 7;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n\r\n");
	r = dechunk(in, n, 0, 0, body, &bl, tr, &tl, &used, &total);
	ok(r == HTTP_CHUNK_DONE && tl == 8192 - 2, "trailers of 8192 bytes");
	r = dechunk(in, n, 0, 1, body, &bl, tr, &tl, &used, &total);
	ok(r == HTTP_CHUNK_DONE && tl == 8192 - 2,
	    "trailers of 8192 bytes, byte by byte");
	n = (size_t)snprintf(in, sizeof(in), "0\r\nX: ");
	memset(in + n, 'v', 8192 - 6);
	n += 8192 - 6;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n\r\n");
	r = dechunk(in, n, 0, 0, body, &bl, tr, &tl, &used, &total);
	ok(r == HTTP_CHUNK_ERROR, "trailers of 8193 bytes");
	n = (size_t)snprintf(in, sizeof(in), "0\r\nX: ");
	memset(in + n, 'v', 8200);
	n += 8200;
	r = dechunk(in, n, 0, 0, body, &bl, tr, &tl, &used, &total);
	ok(r == HTTP_CHUNK_ERROR,
	    "a trailer line over the bound refused before its LF");
	r = dechunk(in, n, 0, 100, body, &bl, tr, &tl, &used, &total);
	ok(r == HTTP_CHUNK_ERROR,
	    "a trailer line over the bound refused, 100 bytes at a time");

	/* what follows the body stays for the next message */
	len = strlen("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n");
	r = dechunk("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", len, 0, 0,
	    body, &bl, tr, &tl, &used, &total);
	ok(r == HTTP_CHUNK_DONE && used == 15, "DONE consumes up to the final "
	    "CRLF only");
	http_chunked_init(&c);
	r = http_chunked_next(&c, "0\r\n\r\n", 5, &cons, &off, &n);
	ok(r == HTTP_CHUNK_DONE && cons == 5 && c.state == HTTP_CHUNK_END,
	    "DONE in one call");
	r = http_chunked_next(&c, "xyz", 3, &cons, &off, &n);
	ok(r == HTTP_CHUNK_DONE && cons == 0, "DONE again after the end");
	http_chunked_init(&c);
	r = http_chunked_next(&c, "3\r\nabc\r\n", 8, &cons, &off, &n);
	ok(r == HTTP_CHUNK_DATA && off == 3 && n == 3 && cons == 6 &&
	    c.total == 3, "DATA slice points into the input");
	r = http_chunked_next(&c, "\r\n", 2, &cons, &off, &n);
	ok(r == HTTP_CHUNK_AGAIN && cons == 2 && c.state == HTTP_CHUNK_SIZE,
	    "CRLF after data consumed");
	http_chunked_init(&c);
	r = http_chunked_next(&c, "0\r\nX: 1", 7, &cons, &off, &n);
	ok(r == HTTP_CHUNK_AGAIN && cons == 3,
	    "an incomplete trailer line is not consumed");
	r = http_chunked_next(&c, "X: 1\r\n\r\n", 8, &cons, &off, &n);
	ok(r == HTTP_CHUNK_TRAILER && off == 0 && n == 6 && cons == 6,
	    "the trailer line once complete");
	r = http_chunked_next(&c, "\r\n", 2, &cons, &off, &n);
	ok(r == HTTP_CHUNK_DONE && cons == 2, "then DONE");
}

/*
 * Real heads in t/data/http: req-* and resp-* must parse whole and byte by
 * byte alike; a chunked body after the head must decode to DONE.
 */
static void
check_golden(void)
{
	static struct http_head	 h;
	static char		 buf[65536], body[65536], tr[65536];
	struct dirent		**names;
	struct http_parser	 ps;
	struct head_case	 hc;
	const char		*srcdir;
	char			 path[1024];
	enum http_result	 r;
	enum http_chunk_result	 cr;
	FILE			*f;
	size_t			 len, bl, tl, used;
	uint64_t		 total;
	bool			 request;
	int			 i, n;

	if ((srcdir = getenv("srcdir")) == NULL)
		srcdir = ".";
	snprintf(path, sizeof(path), "%s/t/data/http", srcdir);
	n = scandir(path, &names, NULL, alphasort);
	ok(n > 2, "golden files in %s", path);
	for (i = 0; i < n; i++) {
		request = strncmp(names[i]->d_name, "req-", 4) == 0;
		if (!request && strncmp(names[i]->d_name, "resp-", 5) != 0) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/t/data/http/%s", srcdir,
		    names[i]->d_name);
		len = 0;
		if ((f = fopen(path, "rb")) != NULL) {
			len = fread(buf, 1, sizeof(buf), f);
			fclose(f);
		}
		http_parser_init(&ps);
		r = parse(request, &ps, buf, len, &limits, &h);
		hc.in = buf;
		hc.len = r == HTTP_OK ? h.head_len : len;
		hc.err = HTTP_ERR_NONE;
		hc.status = 0;
		hc.what = names[i]->d_name;
		check_head(&hc, request, &limits);
		if (r == HTTP_OK && h.chunked) {
			cr = dechunk(buf + h.head_len, len - h.head_len, 0, 1,
			    body, &bl, tr, &tl, &used, &total);
			ok(cr == HTTP_CHUNK_DONE &&
			    used == len - h.head_len,
			    "%s: chunked body decoded (%zu bytes)",
			    names[i]->d_name, bl);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}
