#!/usr/bin/env bash
# Real clients against the example servers, on loopback: starts tempo-server on ports of its
# own (so nothing else on the machine is hit), runs ../shared/clients/tempo's scripts, stops
# the server by PID with SIGTERM and checks it exits cleanly within its shutdown bound; then
# the same for loki-server with ../shared/clients/loki's push_json.py and push_protobuf.py.
#
#   bash .ci/clients.sh            (run by .ci/run; needs python3)
#
# Environment: CLIENTS_DIR (default ../shared/clients), CACHE (the CI cache folder).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
CLIENTS_DIR="${CLIENTS_DIR:-$ROOT/../shared/clients}"
CACHE="${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/observability-storage-ci}"
[ -d "$CLIENTS_DIR/tempo" ] || { echo "CLIENTS_DIR=$CLIENTS_DIR has no tempo/ folder"; exit 1; }
[ -d "$CLIENTS_DIR/loki" ] || { echo "CLIENTS_DIR=$CLIENTS_DIR has no loki/ folder"; exit 1; }

venv="$CACHE/clients-venv"
if ! "$venv/bin/python" -c "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.grpc, requests, cramjam" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --requirement .ci/requirements-clients.txt
fi

cargo build --locked -p examples --bin tempo-server --bin loki-server
server="${CARGO_TARGET_DIR:-$ROOT/target}/debug/tempo-server"
loki="${CARGO_TARGET_DIR:-$ROOT/target}/debug/loki-server"

work=$(mktemp -d)
pid=
loki_pid=
cleanup() {
    for p in $pid $loki_pid; do
        if kill -0 "$p" 2>/dev/null; then
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

http=13200 grpc=14317 otlp_http=14318
"$server" \
    --storage.trace.local.path "$work/blocks" \
    --storage.trace.wal.path "$work/wal" \
    --server.http-listen-address 127.0.0.1 \
    --server.http-listen-port "$http" \
    --receiver.otlp-grpc "127.0.0.1:$grpc" \
    --receiver.otlp-http "127.0.0.1:$otlp_http" \
    --receiver.jaeger-thrift-http off \
    --receiver.jaeger-thrift-compact off \
    --receiver.jaeger-thrift-binary off \
    --receiver.zipkin off \
    >"$work/server.log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$http/ready" >/dev/null 2>&1; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; echo "tempo-server exited at start"; exit 1; }
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$http/ready" >/dev/null || { cat "$work/server.log"; echo "tempo-server not ready"; exit 1; }

status=0
run() {
    local script=$1
    shift
    echo "--- $script"
    if ! (cd "$CLIENTS_DIR/tempo" && "$venv/bin/python" "$script" --query "http://127.0.0.1:$http" \
        --wait 30 --no-search "$@"); then
        echo "client $script failed"
        status=1
    fi
}
run send_otlp_grpc.py --otlp-grpc "127.0.0.1:$grpc"
run send_otlp_http_proto.py --otlp-http "http://127.0.0.1:$otlp_http"
run send_otlp_http_json.py --otlp-http "http://127.0.0.1:$otlp_http"

kill -TERM "$pid"
for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    cat "$work/server.log"
    echo "tempo-server did not stop within 30 s of SIGTERM"
    exit 1
fi
wait "$pid" || { rc=$?; cat "$work/server.log"; echo "tempo-server exited with $rc after SIGTERM"; exit 1; }
pid=
# Shutdown completed the WAL into blocks: the traces are stored as blocks now.
ls "$work/blocks/single-tenant" | grep -q -- '-' || { echo "no block was written at shutdown"; status=1; }
if [ "$status" -ne 0 ]; then
    cat "$work/server.log"
fi

# --- loki-server: Loki's push API (JSON, gzip, protobuf + snappy) read back through its
# query API, on a port of its own.
loki_http=13100
"$loki" \
    --common.path-prefix "$work/loki" \
    --server.http-listen-address 127.0.0.1 \
    --server.http-listen-port "$loki_http" \
    >"$work/loki.log" 2>&1 &
loki_pid=$!
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$loki_http/ready" >/dev/null 2>&1; then break; fi
    kill -0 "$loki_pid" 2>/dev/null || { cat "$work/loki.log"; echo "loki-server exited at start"; exit 1; }
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$loki_http/ready" >/dev/null || { cat "$work/loki.log"; echo "loki-server not ready"; exit 1; }

loki_status=0
for script in push_json.py push_protobuf.py; do
    echo "--- $script"
    if ! (cd "$CLIENTS_DIR/loki" && "$venv/bin/python" "$script" "http://127.0.0.1:$loki_http" -v); then
        echo "client $script failed"
        loki_status=1
    fi
done

kill -TERM "$loki_pid"
for _ in $(seq 1 300); do
    kill -0 "$loki_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$loki_pid" 2>/dev/null; then
    cat "$work/loki.log"
    echo "loki-server did not stop within 30 s of SIGTERM"
    exit 1
fi
wait "$loki_pid" || { rc=$?; cat "$work/loki.log"; echo "loki-server exited with $rc after SIGTERM"; exit 1; }
loki_pid=
# Shutdown flushed every chunk: the entries are stored as chunk objects of tenant `fake`.
ls "$work/loki/chunks/fake" | grep -q . || { echo "no chunk was flushed at shutdown"; loki_status=1; }
if [ "$loki_status" -ne 0 ]; then
    cat "$work/loki.log"
    status=1
fi
exit "$status"
