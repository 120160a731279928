#!/usr/bin/env bash
# Config for ../shared/bench (its frontd adapter runs this when present and
# executable). Same as the adapter's own config, with four differences:
# - keepalive_requests as nginx's bench config has it (1000000), so no
#   proxy closes its clients' connections (or sends HTTP/2 GOAWAY) sooner;
# - keepalive = 4096 idle upstream connections, as HAProxy keeps them all
#   (its pool has no limit): HTTP/2 clients with 100 streams each have
#   thousands of requests in flight, each on an upstream connection;
# - the route sends the upstream what nginx's bench config sends, no
#   X-Forwarded-*, X-Real-IP or Via headers (frontd's defaults add them), so
#   the shared origin does the same work for every proxy it is compared with;
# - the failover health check asks for /1k, as HAProxy's adapter does: the
#   origin answers GET / with 403, which fails the check (health_expect
#   200-399), and with every server down frontd answers 502 by design.
set -euo pipefail
servers=''
for p in $BACKEND_PORTS; do servers+="server = 127.0.0.1:$p"$'\n'; done
mem=''
[[ ${SCENARIO:-} == mem* ]] && mem='max_connections = 16384'
tls=''
if [[ ${SCENARIO:-} == tls* || ${SCENARIO:-} == h2-* ]]; then
  resume=${TLS_RESUME:-on}
  tls="[listener https]
address = 127.0.0.1:$TLS_PORT
backlog = 4096
tls = on
certificate = $CERT
certificate_key = $KEY
tls_session_tickets = $resume
tls_session_cache = $resume"
fi
comp=''
[[ ${GZIP:-off} == on ]] && comp+=' gzip'
[[ ${BROTLI:-off} == on ]] && comp+=' br'
compress=''
[[ -n $comp ]] &&
  compress="compress =$comp"$'\ngzip_level = 1\nbrotli_quality = 4\ncompress_min_length = 256'
cache_g='' cache_r=''
[[ ${CACHE:-off} == on ]] && cache_g='cache_size = 256M' && cache_r='cache = on'
failover=''
[[ ${SCENARIO:-} == failover* ]] &&
  failover=$'retries = 2\nhealth_check = GET /1k\nhealth_interval = 1s\nfall = 2\nrise = 2'
cat > "$WORKDIR/frontd.conf" <<INI
; written by t/bench/frontd-conf.sh for ../shared/bench
[global]
workers = $WORKERS
pid_file = $WORKDIR/frontd.pid
error_log = $WORKDIR/error.log
access_log = off
log_level = warn
keepalive_requests = 1000000
$mem
$cache_g

[listener http]
address = 127.0.0.1:$LISTEN_PORT
backlog = 4096

$tls

[upstream origin]
${servers}keepalive = 4096
$failover

[route all]
upstream = origin
x_forwarded_for = off
x_forwarded_proto = off
x_forwarded_host = off
x_real_ip = off
via = off
$compress
$cache_r
INI
