package Test::FrontdBrotli;

# A Brotli decoder for the tests, if this machine has one: a few lines of
# C against libbrotlidec when a compiler and the library are there, else
# Python's brotli module, else the brotli tool.
#
#     my $br = Test::FrontdBrotli->new($t);     # files in $t->dir
#     if ($br->name) {                          # undef: no decoder
#         my ($out, $complete) = $br->decode($bytes);
#     }

use strict;
use warnings;

sub new {
	my ($class, $t) = @_;
	my $dir = $t->dir;
	my $self = bless { t => $t, dir => $dir }, $class;

	# Our own decoder first: it writes what it decoded of a stream cut
	# short, which the brotli tool does not, and the build has what it
	# needs. Python's module and the tool are for machines without a C
	# compiler.
	$t->spew("$dir/unbr.c", <<'C');
#include <stdint.h>
#include <stdio.h>
#include <brotli/decode.h>
/* stdin to stdout; 0 when the stream ended, 3 when cut short, 1 on error,
 * 4 with bytes after the end. */
int main(void) {
	BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	static uint8_t in[65536], out[65536];
	const uint8_t *next_in = in;
	size_t avail_in = 0;
	BrotliDecoderResult r = BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT;
	for (;;) {
		if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT && avail_in == 0) {
			avail_in = fread(in, 1, sizeof in, stdin);
			next_in = in;
			if (avail_in == 0)
				return 3;
		}
		uint8_t *next_out = out;
		size_t avail_out = sizeof out;
		r = BrotliDecoderDecompressStream(s, &avail_in, &next_in,
		    &avail_out, &next_out, NULL);
		fwrite(out, 1, sizeof out - avail_out, stdout);
		if (r == BROTLI_DECODER_RESULT_SUCCESS)
			return avail_in > 0 || fread(in, 1, 1, stdin) > 0 ? 4 : 0;
		if (r == BROTLI_DECODER_RESULT_ERROR)
			return 1;
	}
}
C
	if (system("cc -O -o '$dir/unbr' '$dir/unbr.c' -lbrotlidec "
	    . ">'$dir/unbr.log' 2>&1") == 0) {
		@$self{qw(name cmd)} = ('libbrotlidec (compiled here)',
		    "'$dir/unbr'");
	}
	return $self if $self->{name};
	if (system(q{python3 -c 'import brotli' >/dev/null 2>&1}) == 0) {
		$t->spew("$dir/unbr.py", <<'PY');
import sys, brotli
d = brotli.Decompressor()
out = d.process(sys.stdin.buffer.read())
sys.stdout.buffer.write(out)
sys.exit(0 if d.is_finished() else 3)
PY
		@$self{qw(name cmd)} = ('python3 brotli', "python3 '$dir/unbr.py'");
	} elsif (system('brotli --version >/dev/null 2>&1') == 0) {
		@$self{qw(name cmd)} = ('brotli tool', 'brotli -d -c');
	}
	return $self;
}

# What decodes, for messages; undef when nothing does.
sub name { $_[0]{name} }

# bytes -> (output, complete): complete when the stream ended cleanly.
sub decode {
	my ($self, $bytes) = @_;
	my ($t, $dir) = @$self{qw(t dir)};
	$t->spew("$dir/br.in", $bytes);
	my $rc = system("$self->{cmd} <'$dir/br.in' >'$dir/br.out' "
	    . "2>'$dir/br.err'");
	return ($t->slurp("$dir/br.out"), $rc == 0);
}

1;
