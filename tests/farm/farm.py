# A compile farm on loopback, from Debian's packages: one redis-server, N
# coolbpfd nodes sharing it (--shared-cache), and nginx in front of them
# (the upstream of docs/deployment in README.md, on loopback ports). Used by
# tests/farm/test_farm.py and bench/farm. Every process is started here and
# stopped by Farm.stop(), which the context manager, atexit and SIGTERM all
# call: nothing outlives the run.
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", "build")
COOLBPFD = os.path.join(ROOT, BUILD, "bin", "coolbpfd")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
{upstream}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 1m;
        client_body_timeout 30s;
        # nginx closes a client's keep-alive connection after 1000
        # requests by default: a build client can send more
        keepalive_requests 100000;
        location / {{
            proxy_pass http://coolbpfd;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $remote_addr;
            # a compile is idempotent: a node that fails is retried on another
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upstream_block(ports):
    lines = ["    upstream coolbpfd {", "        least_conn;"]
    lines += ["        server 127.0.0.1:%d max_fails=1 fail_timeout=5s;" % p for p in ports]
    lines += ["        keepalive 32;", "    }"]
    return "\n".join(lines)


class Node:
    def __init__(self, farm, index, extra):
        self.index = index
        self.cache = os.path.join(farm.tmp, "node%d" % index)
        self.logpath = os.path.join(farm.tmp, "node%d.log" % index)
        self.log = open(self.logpath, "w")
        self.args = [COOLBPFD, "--listen", "127.0.0.1:0", "--cache", self.cache,
                     "--shared-cache", "redis://127.0.0.1:%d/0" % farm.redis_port,
                     "--worker-uid", str(2147600000 + 16 * index),
                     "--max-connections-per-ip", "1024", "--max-connections", "2048"] + list(extra)
        self.proc = subprocess.Popen(self.args, stderr=self.log, stdout=subprocess.DEVNULL)
        self.port = None
        for _ in range(400):
            m = re.search(r"listening on 127\.0\.0\.1:(\d+) ", open(self.logpath).read())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            raise RuntimeError("coolbpfd node %d did not start: %s" % (index, open(self.logpath).read()))
        self.url = "http://127.0.0.1:%d" % self.port

    def alive(self):
        return self.proc.poll() is None

    def metrics(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as r:
            out = {}
            for line in r.read().decode().splitlines():
                if line and not line.startswith("#"):
                    name, value = line.rsplit(" ", 1)
                    out[name] = float(value)
            return out

    def metric(self, name):
        return self.metrics().get(name, 0.0)

    def logtext(self):
        return open(self.logpath).read()

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Farm:
    def __init__(self, nodes=3, node_args=()):
        self.tmp = tempfile.mkdtemp(prefix="coolbpfd-farm-")
        self.redis = self.nginx = None
        self.nodes = []
        self._stopped = False
        atexit.register(self.stop)
        self._old_term = signal.signal(signal.SIGTERM, self._on_term)
        try:
            self.redis_port = free_port()
            self.start_redis()
            for i in range(nodes):
                self.nodes.append(Node(self, i, node_args))
            self.port = free_port()
            self.start_nginx()
        except BaseException:
            self.stop()
            raise
        self.url = "http://127.0.0.1:%d" % self.port

    def _on_term(self, sig, frame):
        self.stop()
        sys.exit(143)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # redis: no persistence, bounded memory, LRU eviction (the sizing of
    # the README's deployment, scaled down)
    def start_redis(self):
        self.redis = subprocess.Popen(
            [REDIS, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.tmp, "--maxmemory", "256mb",
             "--maxmemory-policy", "allkeys-lru", "--logfile", os.path.join(self.tmp, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if self.redis_cli("PING") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop_redis(self):
        if self.redis and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=30)

    def redis_cli(self, *args, raw=False):
        p = subprocess.run([REDIS_CLI, "-p", str(self.redis_port), *args], capture_output=True,
                           timeout=10)
        return p.stdout if raw else p.stdout.decode(errors="replace").strip()

    def start_nginx(self):
        conf = os.path.join(self.tmp, "nginx.conf")
        open(conf, "w").write(NGINX_CONF.format(tmp=self.tmp, port=self.port,
                                                upstream=upstream_block([n.port for n in self.nodes])))
        self.nginx = subprocess.Popen([NGINX, "-c", conf, "-p", self.tmp, "-e",
                                       os.path.join(self.tmp, "nginx-error.log")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.nginx.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("nginx did not start: " + open(os.path.join(self.tmp, "nginx-error.log")).read())

    def compile(self, source, url=None, timeout=120):
        """(status, reply) of POST /v1/compile through nginx (or url)."""
        req = urllib.request.Request((url or self.url) + "/v1/compile",
                                     data=json.dumps({"source": source}).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            body = e.read()
            return e.code, json.loads(body) if body.startswith(b"{") else {"error": body.decode()}

    def total(self, name, nodes=None):
        return sum(n.metric(name) for n in (nodes or self.nodes) if n.alive())

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        for n in self.nodes:
            n.stop()
        self.stop_redis()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if signal.getsignal(signal.SIGTERM) == self._on_term:
            signal.signal(signal.SIGTERM, self._old_term)
