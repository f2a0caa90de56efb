#!/usr/bin/env bash
# Cluster sizing on loopback (figures in docs/OPERATIONS.md): the mock upstream of ../shared/bench
# (copied to /tmp/pb/bench and started with its start-mock.sh), a Redis on 127.0.0.1:56390 and a
# PostgreSQL on 127.0.0.1:55499 (user entrepot, trust) already running; wrk bounded to 10 s per run.
#   bench/cluster.sh single     one node, SQLite ledger, in-memory budgets and limits
#   bench/cluster.sh cluster    nodes a and b with Redis and PostgreSQL: a alone, then a and b together
set -u
E=/work/main/src/Entrepot.Cli/bin/Release/net10.0/entrepot.dll
key="ent-bench-key-0123456789abcdef"
cd /tmp/pb/bench; export BODY_FILE=/tmp/pb/bench/bench/body.json
pkill -f "entrepot.dll exchange"; sleep 0.5
redis-cli -p 56390 flushall >/dev/null
db=bench_$RANDOM; psql -h 127.0.0.1 -p 55499 -U entrepot -d postgres -qc "create database $db"
rm -rf /tmp/cb/a /tmp/cb/b /tmp/cb/key /tmp/cb/single
conf() { # node port cluster(0/1)
  python3 - "$@" <<PY
import json,sys
node,port,cl=sys.argv[1],int(sys.argv[2]),sys.argv[3]=="1"
x={"jurisdiction":"DE","port":port,"signing_key_dir":"/tmp/cb/key"}
if cl:
  x["ledger"]={"store":"postgres","connection":"Host=127.0.0.1;Port=55499;Username=entrepot;Database=$db"}
  x["cluster"]={"redis":"127.0.0.1:56390","node_id":node,"nodes":2,"prefix":"bench:"}
c={"exchange":x,"accounts":[{"id":"buyer","keys":["$key"],"budget":{"amount":1000000,"currency":"USD","period":"month"},"limits":{"requests_per_minute":100000000}}],
   "providers":[{"id":"mock","kind":"openai","base_url":"http://127.0.0.1:18080/v1","jurisdiction":"US","models":["gpt-4o-mini"],"price":{"input":0.15,"output":0.6}}]}
json.dump(c,open(f"/tmp/cb/{node}.json","w"))
PY
}
start() { DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet $E exchange --config /tmp/cb/$1.json --data-dir /tmp/cb/$1 > /tmp/cb/$1.log 2>&1 & echo $!; }
wait_ready() { for _ in $(seq 1 100); do grep -q ready /tmp/cb/$1.log 2>/dev/null && return; sleep 0.2; done; cat /tmp/cb/$1.log; }
w() { wrk -t1 -c$2 -d${3}s -s bench/post.lua -H "Authorization: Bearer $key" -H "Content-Type: application/json" http://127.0.0.1:$1/v1/chat/completions | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "non2xx " $4}'; }
mode=$1
if [ "$mode" = single ]; then
  conf single 18610 0; p=$(start single); wait_ready single
  w 18610 50 4 >/dev/null; echo "single sqlite node, 50 conns: $(w 18610 50 10 | tr '\n' ' ') rps"; kill $p
else
  conf a 18611 1; conf b 18612 1; pa=$(start a); wait_ready a; pb=$(start b); wait_ready b
  w 18611 50 4 >/dev/null; w 18612 50 4 >/dev/null
  echo "cluster node a alone, 50 conns: $(w 18611 50 10 | tr '\n' ' ') rps"
  ( w 18611 25 10 > /tmp/cb/wa.txt & w 18612 25 10 > /tmp/cb/wb.txt & wait )
  echo "cluster a+b together (25 conns each): a $(tr '\n' ' ' < /tmp/cb/wa.txt) b $(tr '\n' ' ' < /tmp/cb/wb.txt)"
  kill $pa $pb
  sleep 1; psql -h 127.0.0.1 -p 55499 -U entrepot -d $db -tc "select count(*) from ledger"
fi
