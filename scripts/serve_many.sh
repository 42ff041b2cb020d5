#!/usr/bin/env bash
# Serve the app from N Streamlit processes behind nginx with sticky sessions (deploy/nginx.conf), on one machine.
#   bash scripts/serve_many.sh N [PORT]
# nginx listens on 127.0.0.1:PORT (default 8501); the apps on 127.0.0.1, ports PORT+1 .. PORT+N. Runs in the
# foreground as the current user (no root for PORT > 1024); Ctrl-C stops everything, and so does any process dying.
# Needs nginx (Debian package `nginx`). Environment:
#   BNN_LISTEN         address nginx listens on (default 127.0.0.1; 0.0.0.0 to serve other machines)
#   BNN_BACKEND_PORTS  the apps' ports, "P1 P2 ..." (default PORT+1 .. PORT+N)
#   BNN_RUN_DIR        folder for nginx.conf, the logs and nginx's temporary files (default a new one under $TMPDIR)
#   PYTHON             the Python with the app's requirements (default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
processes=${1:?usage: bash scripts/serve_many.sh N [PORT]}
port=${2:-8501}
python=${PYTHON:-.venv/bin/python}
listen=${BNN_LISTEN:-127.0.0.1}
read -r -a backend_ports <<< "${BNN_BACKEND_PORTS:-$(seq -s ' ' $((port + 1)) $((port + processes)))}"
[ "${#backend_ports[@]}" -eq "$processes" ] || { echo "BNN_BACKEND_PORTS names ${#backend_ports[@]} ports for $processes processes" >&2; exit 2; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx is missing: install the Debian package nginx (sudo apt-get install nginx)" >&2; exit 2; }
run_dir=${BNN_RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/bnn-serve-XXXXXX")}
mkdir -p "$run_dir"
directives="daemon off;"
# nginx started as root switches its workers to nobody, who may not reach $run_dir: keep them the current user.
[ "$(id -u)" -ne 0 ] || directives+=" user root;"

healthy() {  # GET URL answers "ok"
  "$python" - "$1" <<'EOF'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(sys.argv[1], timeout=2) as response:
        sys.exit(0 if response.read().strip() == b"ok" else 1)
except OSError:
    sys.exit(1)
EOF
}

pids=()
stop() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One cookie secret for all: Streamlit's XSRF check (uploads) then holds whichever process a page reaches.
secret=$("$python" -c 'import secrets; print(secrets.token_hex(32))')
servers=""
for backend in "${backend_ports[@]}"; do
  STREAMLIT_SERVER_COOKIE_SECRET=$secret "$python" -m streamlit run app.py --server.headless true \
    --server.address 127.0.0.1 --server.port "$backend" --browser.gatherUsageStats false \
    > "$run_dir/app-$backend.log" 2>&1 &
  pids+=($!)
  servers+="        server 127.0.0.1:$backend;"$'\n'
done
for index in "${!backend_ports[@]}"; do
  backend=${backend_ports[$index]}
  until healthy "http://127.0.0.1:$backend/_stcore/health"; do
    kill -0 "${pids[$index]}" 2>/dev/null || { echo "the app on port $backend died:" >&2; tail -n 30 "$run_dir/app-$backend.log" >&2; exit 1; }
    sleep 0.5
  done
done

config="$run_dir/nginx.conf"
awk -v run_dir="$run_dir" -v listen="$listen:$port" -v servers="${servers%$'\n'}" '
  /^@SERVERS@$/ { print servers; next }
  { gsub(/@RUN_DIR@/, run_dir); gsub(/@LISTEN@/, listen); print }
' deploy/nginx.conf > "$config"
"$nginx" -t -q -e "$run_dir/error.log" -p "$run_dir" -c "$config" -g "$directives"
"$nginx" -e "$run_dir/error.log" -p "$run_dir" -c "$config" -g "$directives" &
pids+=($!)
until healthy "http://127.0.0.1:$port/_stcore/health"; do
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "nginx did not start:" >&2; cat "$run_dir/error.log" >&2; exit 1; }
  sleep 0.2
done
echo "serving http://$listen:$port/ from $processes Streamlit processes (ports ${backend_ports[*]}); logs in $run_dir"

wait -n
echo "a process ended; stopping the others (logs in $run_dir)" >&2
exit 1
