#!/bin/sh
# A throwaway PostgreSQL cluster for the Prefect server (Linux; Windows: see README, "Production-shaped").
#
#   scripts/prefect_postgres.sh start DIR [PORT]   # initdb (first time) + pg_ctl start; prints the URL
#   scripts/prefect_postgres.sh stop DIR
#
# DIR holds the cluster (DIR/cluster), its log (DIR/postgres.log) and its socket. The server listens on
# 127.0.0.1:PORT (default 5433) only, with one role and one database, both `prefect`, and trust
# authentication on loopback: for one machine and for tests. For a server other machines reach, give
# the role a password (scram-sha-256 in pg_hba.conf) and put it in the URL.
#
# PostgreSQL refuses to run as root: run as root, the cluster belongs to the `postgres` user (or
# $CSP_PG_OS_USER), which must be able to reach DIR. Binaries: $PGBIN, else the newest
# /usr/lib/postgresql/*/bin (Debian's postgresql-15 package), else the PATH.
set -eu

usage() { echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1
dir=$2
port=${3:-5433}
os_user=${CSP_PG_OS_USER:-postgres}
if [ -z "${PGBIN:-}" ]; then
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
bin() { if [ -n "$PGBIN" ]; then echo "$PGBIN/$1"; else echo "$1"; fi; }
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$os_user" -- "$@"; else "$@"; fi
}

case $action in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown "$os_user" "$dir"; fi
    if [ ! -f "$dir/cluster/PG_VERSION" ]; then
        as_owner "$(bin initdb)" -D "$dir/cluster" -U prefect --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_owner "$(bin pg_ctl)" -D "$dir/cluster" -l "$dir/postgres.log" -w -t 120 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null \
        || { tail -n 30 "$dir/postgres.log" >&2; exit 1; }
    if ! as_owner "$(bin psql)" -h 127.0.0.1 -p "$port" -U prefect -d postgres -tAc \
            "select 1 from pg_database where datname = 'prefect'" | grep -q 1; then
        as_owner "$(bin createdb)" -h 127.0.0.1 -p "$port" -U prefect prefect
    fi
    echo "PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://prefect@127.0.0.1:$port/prefect"
    ;;
stop)
    if [ -f "$dir/cluster/postmaster.pid" ]; then
        as_owner "$(bin pg_ctl)" -D "$dir/cluster" -m fast -w -t 60 stop >/dev/null
    fi
    ;;
*) usage ;;
esac
