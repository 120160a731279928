#!/usr/bin/env python3
# Memory per idle HTTP/2 connection: frontd beside nginx (if installed),
# each with one worker and a TLS listener offering h2, both in front of
# the same origin (an nginx server block answering 200). N clients each
# open a TLS connection, negotiate h2 by ALPN, do one GET of a 1K body,
# and stay open, idle; the worker's RSS before and after, divided by N,
# is the cost of an idle connection (kernel socket memory is not in it).
#
#   t/bench/h2-idle-mem.py [N]        # from the project root, after make
#
# Ports 19281-19284 on 127.0.0.1; everything runs in a temp dir and is
# stopped at the end.
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ORIGIN, FRONTD, NGINX = 19281, 19282, 19283
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def frame(ftype, flags, sid, payload=b''):
    n = len(payload)
    return struct.pack('>BHBBI', n >> 16, n & 0xffff, ftype, flags,
                       sid) + payload


def literal(name, value):
    # Literal without indexing, new name, no Huffman (RFC 7541 6.2.2).
    def s(x):
        assert len(x) < 127
        return bytes([len(x)]) + x
    return b'\x00' + s(name) + s(value)


def request(port):
    block = (literal(b':method', b'GET') + literal(b':scheme', b'https')
             + literal(b':authority', b'localhost')
             + literal(b':path', b'/1k'))
    return (b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + frame(4, 0, 0)
            + frame(1, 0x5, 1, block))


def connect(port, ctx):
    raw = socket.create_connection(('127.0.0.1', port))
    s = ctx.wrap_socket(raw, server_hostname='localhost')
    if s.selected_alpn_protocol() != 'h2':
        # HTTP/1.1 (H1=1): one request, the answer, then idle.
        s.sendall(b'GET /1k HTTP/1.1\r\nHost: localhost\r\n\r\n')
        buf = b''
        while b'\r\n\r\n' not in buf or len(buf) < buf.index(
                b'\r\n\r\n') + 4 + 1024:
            buf += s.recv(65536)
        return s
    s.sendall(request(port))
    buf = b''
    # Read until stream 1 ends (a frame on it with END_STREAM).
    while True:
        while len(buf) >= 9:
            n = (buf[0] << 16) | (buf[1] << 8) | buf[2]
            if len(buf) < 9 + n:
                break
            ftype, flags = buf[3], buf[4]
            sid = struct.unpack('>I', buf[5:9])[0] & 0x7fffffff
            buf = buf[9 + n:]
            if ftype == 4 and not flags & 1:
                s.sendall(frame(4, 1, 0))       # SETTINGS ACK
            if sid == 1 and flags & 1 and ftype in (0, 1):
                return s
        d = s.recv(65536)
        if not d:
            raise RuntimeError('closed before the answer')
        buf += d


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def children(pid):
    out = subprocess.run(['pgrep', '-P', str(pid)], capture_output=True,
                         text=True).stdout.split()
    return [int(x) for x in out]


def measure(name, port, worker_pid):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(['http/1.1'] if os.environ.get('H1') else
                           ['h2'])
    # A few first, so that what is allocated once is not counted.
    warm = [connect(port, ctx) for _ in range(20)]
    time.sleep(0.5)
    before = rss_kb(worker_pid)
    conns = [connect(port, ctx) for _ in range(N)]
    time.sleep(1.5)
    after = rss_kb(worker_pid)
    per = (after - before) * 1024 / N
    print('%-7s RSS %6d -> %6d KiB for %d idle h2 connections: '
          '%.0f B/conn' % (name, before, after, N, per))
    for s in conns + warm:
        s.close()
    return per


def main():
    d = tempfile.mkdtemp(prefix='h2-idle-mem.')
    os.chmod(d, 0o777)   # the workers drop to an unprivileged user
    procs = []
    try:
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048',
                        '-nodes', '-keyout', d + '/key.pem', '-out',
                        d + '/cert.pem', '-days', '2', '-subj',
                        '/CN=localhost'], check=True, capture_output=True)
        os.chmod(d + '/key.pem', 0o644)
        ngx = shutil.which('nginx') or '/usr/sbin/nginx'
        with open(d + '/nginx.conf', 'w') as f:
            f.write('''daemon off; worker_processes 1; pid %(d)s/nginx.pid;
error_log %(d)s/nginx.err; events { worker_connections 20000; }
worker_rlimit_nofile 40000;
http { access_log off;
  server { listen 127.0.0.1:%(o)d; location / { return 200 "%(body)s"; } }
  upstream o { server 127.0.0.1:%(o)d; keepalive 64; }
  server { listen 127.0.0.1:%(n)d ssl http2; ssl_certificate %(d)s/cert.pem;
    ssl_certificate_key %(d)s/key.pem; keepalive_timeout 600s;
    location / { proxy_pass http://o; proxy_http_version 1.1;
      proxy_set_header Connection ""; } } }
''' % {'d': d, 'o': ORIGIN, 'n': NGINX, 'body': 'x' * 1024})
        ngp = subprocess.Popen([ngx, '-c', d + '/nginx.conf', '-p', d])
        procs.append(ngp)
        with open(d + '/frontd.conf', 'w') as f:
            f.write('''[global]
workers = 1
pid_file = %(d)s/frontd.pid
error_log = %(d)s/frontd.err
access_log = off
keepalive_timeout = 10m
max_connections = 4096
[listener tls]
address = 127.0.0.1:%(p)d
tls = on
certificate = %(d)s/cert.pem
certificate_key = %(d)s/key.pem
[upstream o]
server = 127.0.0.1:%(o)d
[route all]
upstream = o
''' % {'d': d, 'p': FRONTD, 'o': ORIGIN})
        fdp = subprocess.Popen([os.environ.get(
            'FRONTD', ROOT + '/master/frontd'), '-f', '-c',
            d + '/frontd.conf'])
        procs.append(fdp)
        time.sleep(1.5)
        fw = [p for p in children(fdp.pid)
              if b'worker' in open('/proc/%d/cmdline' % p, 'rb').read()]
        if not fw:
            sys.exit('no frontd worker: ' + open(d + '/frontd.err').read())
        nw = children(ngp.pid)
        res = {'frontd': measure('frontd', FRONTD, fw[0])}
        if nw:
            res['nginx'] = measure('nginx', NGINX, nw[0])
        if 'nginx' in res:
            print('frontd / nginx: %.2f' % (res['frontd'] / res['nginx']))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        shutil.rmtree(d, ignore_errors=True)


main()
