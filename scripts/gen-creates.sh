#!/bin/sh
# Writes to stdout a scenario of N creates (open O_CREAT|O_WRONLY + close) in
# one thread, 100 files per directory: the file bench/simulate_bench.cc's
# CreateWorkload builds in memory, for measuring `fusesim run FILE` end to end
# (docs/performance.md, "From file to JSON report").
#   scripts/gen-creates.sh 100000 > /tmp/c100000.json
set -eu
n=${1:?usage: gen-creates.sh N}
awk -v n="$n" 'BEGIN {
  printf "{\"name\":\"creates\",\"mounts\":[{\"name\":\"m0\",\"negative_timeout_ms\":1000}],\"server\":{\"tree\":[\"/w/\"";
  for (d = 0; d < int((n + 99) / 100); d++) printf ", \"/w/d%d/\"", d;
  printf "]},\"threads\":[{\"name\":\"t1\",\"ops\":[";
  for (i = 0; i < n; i++)
    printf "%s{\"op\":\"open\",\"path\":\"/w/d%d/f%d\",\"flags\":\"O_CREAT|O_WRONLY\",\"fd\":\"f%d\"},{\"op\":\"close\",\"fd\":\"f%d\"}",
           (i ? "," : ""), int(i / 100), i, i, i;
  printf "]}]}";
}'
