#!/usr/bin/env bash
# What the access rules cost: proxy CPU per request of a bare route and of
# the same route behind 10 allow rules, basic authentication (bcrypt, a
# keep-alive client) and a rate limit that never triggers. Both frontds
# run side by side against one origin nginx, pinned as ../shared/bench
# pins them (proxy on CPU 1, wrk and the origin on CPU 0), in alternating
# rounds; CPU is read from /proc for each frontd's process tree.
#
#   t/bench/access-cost.sh [ROUNDS] [SECONDS]     (from the project root)
#
# With BASE_FRONTD=/path/to/an/older/frontd, it compares instead that
# binary and this tree's on the same bare route: what a change costs.
#
# Needs nginx, wrk, python3 and taskset; prints one line per round and the
# medians. Not part of make check.
set -euo pipefail
rounds=${1:-5}
secs=${2:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
frontd=${FRONTD_BIN:-$root/master/frontd}
for t in nginx wrk python3 taskset; do
	command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/frontd-access-cost.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[[ -f $dir/nginx.pid ]] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null
	for f in "$dir"/*.pid; do
		[[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
	done
	sleep 0.3
	rm -rf "$dir"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
origin=$(free_port); bare=$(free_port); guarded=$(free_port)
body=$(head -c 1024 /dev/zero | tr '\0' x)
cat > "$dir/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx.err warn;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 100000000;
	server {
		listen 127.0.0.1:$origin;
		location /1k { return 200 "$body"; }
	}
}
EOF
taskset -c 0 nginx -c "$dir/nginx.conf"

# A bcrypt user (cost 10, what htpasswd -B makes by default).
hash=$(python3 -c 'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))' 2>/dev/null ||
    perl -e 'print crypt("s3cret", q{$2b$10$abcdefghijklmnopqrstuu})')
echo "bench:$hash" > "$dir/htpasswd"
auth=$(printf 'bench:s3cret' | base64)

conf() {	# NAME PORT EXTRA [BINARY]
	cat > "$dir/$1.conf" <<EOF
[global]
workers = 1
user = root
group = root
pid_file = $dir/$1.pid
error_log = $dir/$1.err
access_log = off
log_level = warn

[listener http]
address = 127.0.0.1:$2
backlog = 4096

[upstream origin]
server = 127.0.0.1:$origin
keepalive = 64

[route all]
upstream = origin
x_forwarded_for = off
x_forwarded_proto = off
x_forwarded_host = off
x_real_ip = off
via = off
$3
EOF
	taskset -c 1 "${4:-$frontd}" -c "$dir/$1.conf"
}
rules=''
for i in $(seq 1 9); do rules+="allow = 10.$i.0.0/16"$'\n'; done
rules+=$'allow = 127.0.0.0/8\ndeny = all\n'
if [[ -n ${BASE_FRONTD:-} ]]; then
	conf bare "$bare" '' "$BASE_FRONTD"
	conf guarded "$guarded" ''
else
	conf bare "$bare" ''
	conf guarded "$guarded" "${rules}auth_basic = bench
auth_basic_file = $dir/htpasswd
rate_limit = 1000000r/s burst=1000000"
fi
sleep 0.5

# CPU ticks of a process and its children (utime+stime of each).
ticks() {
	python3 - "$1" <<'EOF'
import os, sys
root = int(sys.argv[1]); total = 0; tree = {root}
pids = [int(p) for p in os.listdir('/proc') if p.isdigit()]
parent = {}
for p in pids:
	try:
		f = open('/proc/%d/stat' % p).read().rsplit(')', 1)[1].split()
		parent[p] = (int(f[1]), int(f[11]) + int(f[12]))
	except OSError:
		pass
changed = True
while changed:
	changed = False
	for p, (pp, _) in parent.items():
		if pp in tree and p not in tree:
			tree.add(p); changed = True
print(sum(parent[p][1] for p in tree if p in parent))
EOF
}
hz=$(getconf CLK_TCK)
run() {	# NAME PORT -> "us_per_req req_per_s"
	local pid t0 t1 out reqs
	pid=$(cat "$dir/$1.pid")
	t0=$(ticks "$pid")
	out=$(taskset -c 0 wrk -t1 -c50 -d"${secs}s" -H "Authorization: Basic $auth" \
	    "http://127.0.0.1:$2/1k" 2>&1)
	t1=$(ticks "$pid")
	reqs=$(awk '/requests in/ {print $1}' <<<"$out")
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "$1: non-2xx answers:" >&2; echo "$out" >&2; exit 1
	fi
	python3 -c "print('%.2f %.0f' % (($t1-$t0)*1e6/$hz/$reqs, $reqs/$secs))"
}
a=() b=()
for r in $(seq 1 "$rounds"); do
	x=$(run bare "$bare"); y=$(run guarded "$guarded")
	a+=("${x%% *}"); b+=("${y%% *}")
	echo "round $r: bare ${x% *} us/req (${x#* } req/s), guarded ${y% *} us/req (${y#* } req/s)"
done
python3 - "${a[*]}" "${b[*]}" <<'EOF'
import statistics, sys
a = [float(x) for x in sys.argv[1].split()]
b = [float(x) for x in sys.argv[2].split()]
ma, mb = statistics.median(a), statistics.median(b)
print('median: bare %.2f us/req, guarded %.2f us/req: %+.1f%%' % (ma, mb, (mb / ma - 1) * 100))
EOF
