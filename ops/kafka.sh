#!/usr/bin/env bash
# A real Apache Kafka on loopback, for tests and for running uurwerk as a cluster: fetches the
# official broker jars from Maven Central, formats storage and runs KRaft nodes (each a combined
# controller+broker) with the machine's Java 17. See `ops/kafka.sh --help` and ops/README.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"

kafka_version="${UURWERK_KAFKA_VERSION:-4.4.0}"
cache_root="${UURWERK_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uurwerk}"
java_bin="${JAVA:-java}"
# Small heaps and a light JIT and GC: three nodes and the ledger share 2 cores. A benchmark of the
# brokers' throughput should drop -XX:TieredStopAtLevel=1 (C1 only starts faster, runs slower).
jvm_opts="${UURWERK_KAFKA_JVM_OPTS:--Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
ready_timeout_s_default=90
stop_timeout_s_default=30

usage() {
  cat <<EOF
Usage: ops/kafka.sh COMMAND [OPTIONS]

A real Apache Kafka ${kafka_version} (KRaft, combined controller+broker nodes) on 127.0.0.1.

Commands:
  fetch                 copy the broker jars from Maven Central (with mvn) into the cache;
                        instant when they are there already
  start                 fetch, format storage (first time only) and start every node of the
                        cluster in --data, or only --node N; waits until the nodes are ready
  stop                  stop every node (SIGTERM, SIGKILL after --timeout), or only --node N
  kill --node N         SIGKILL node N (a crash), and wait until it is gone
  restart --node N      stop node N, start it again and wait until it is ready
  status                one line per node: node, pid (or -), state, broker and controller ports;
                        exit code 0 only if every node runs
  bootstrap             print the bootstrap servers (host:port,...) of the cluster in --data
  wait                  wait until every running node is ready (or --node N)

Options:
  --data DIR            the cluster's folder (default: \$UURWERK_KAFKA_DATA or build/kafka);
                        node-N/ holds a node's config, data/ and logs/
  --brokers 1|3         nodes in the cluster, fixed when it is first created (default 1)
  --base-port P         node N's broker listens on P+2N and its controller on P+2N+1; fixed when
                        the cluster is created (default: the first free block from 19092)
  --node N              act on node N only (0-based)
  --tls DIR             the brokers' listener (clients and brokers) is TLS, fixed when the
                        cluster is created: DIR/broker.pem holds the brokers' private key
                        (unencrypted PKCS#8) and certificate chain, DIR/ca.pem the CA
                        certificates they trust (both PEM, read by Kafka as they are)
  --sasl-plain USER:PASSWORD
                        with --tls: the listener also asks for a SASL/PLAIN login; USER (and
                        the brokers among themselves) may log in, fixed at creation
  --no-wait             start without waiting until ready
  --timeout S           seconds to wait for readiness or for a stop (default ${ready_timeout_s_default}/${stop_timeout_s_default})
  --owner PID           with start: stop the whole cluster when process PID ends, however it
                        ends (a test that aborts or is killed runs no destructor); a watchdog
                        checks every second (log: DIR/watchdog.log)
  -h, --help            this text

Environment:
  UURWERK_KAFKA_VERSION  Kafka release (default 4.4.0); UURWERK_KAFKA_CACHE  jar cache root
  (default \$XDG_CACHE_HOME/uurwerk or ~/.cache/uurwerk); UURWERK_KAFKA_DATA  default --data;
  UURWERK_KAFKA_JVM_OPTS  the nodes' JVM flags (default "-Xms64m -Xmx512m -XX:+UseSerialGC
  -XX:TieredStopAtLevel=1"); JAVA  the java program (default java).

Files: DIR/cluster.env (brokers, ports, cluster id, version), DIR/bootstrap,
  DIR/node-N/{server.properties,pid,data/,logs/server.log,logs/stdout.log}.
Exit codes: 0 done, 1 failed (the message and a log tail say why), 2 bad usage.
EOF
}

die() { echo "kafka.sh: $*" >&2; exit 1; }
usage_error() { echo "kafka.sh: $*" >&2; echo "Try 'ops/kafka.sh --help'." >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# fetch: Maven Central -> $cache_root/kafka-$version/libs, atomically, keyed by the pom's hash.

libs_dir() { echo "$cache_root/kafka-$kafka_version/libs"; }

fetch() {
  local dir stamp want
  dir="$(libs_dir)"
  stamp="$dir/.complete"
  want="$(sha256sum "$here/kafka/pom.xml" | cut -d' ' -f1) $kafka_version"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  mkdir -p "$cache_root"
  # One fetch at a time per version; a second caller waits and then finds the stamp.
  exec 9>"$cache_root/kafka-$kafka_version.lock"
  flock -w 600 9 || die "fetch: timed out waiting for another fetch (lock $cache_root/kafka-$kafka_version.lock)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exec 9>&-
    return 0
  fi
  command -v mvn >/dev/null || die "fetch: mvn not found (run ops/install-deps.sh)"
  local tmp log
  tmp="$(mktemp -d "$cache_root/kafka-$kafka_version.tmp.XXXXXX")"
  log="$tmp/mvn.log"
  echo "kafka.sh: fetching org.apache.kafka:kafka_2.13:$kafka_version and its dependencies from Maven Central" >&2
  if ! (cd "$here/kafka" && mvn -B -q -Dstyle.color=never -Dkafka.version="$kafka_version" \
          dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs") \
          >"$log" 2>&1; then
    cat "$log" >&2
    rm -rf "$tmp"
    die "fetch: mvn could not copy org.apache.kafka:kafka_2.13:$kafka_version (output above)"
  fi
  [ -f "$tmp/libs/kafka_2.13-$kafka_version.jar" ] ||
    { rm -rf "$tmp"; die "fetch: mvn succeeded but kafka_2.13-$kafka_version.jar is missing"; }
  echo "$want" >"$tmp/libs/.complete"
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mv "$tmp/libs" "$dir"
  rm -rf "$tmp"
  exec 9>&-
  echo "kafka.sh: $(find "$dir" -name '*.jar' | wc -l) jars in $dir" >&2
}

# ---------------------------------------------------------------------------------------------
# Helpers for ports, processes and the cluster's folder.

# True if something listens on TCP port $1 (IPv4 or IPv6), read from /proc: no extra tools.
port_listening() {
  local hex
  hex="$(printf '%04X' "$1")"
  awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

broker_port() { echo $((base_port + 2 * $1)); }
controller_port() { echo $((base_port + 2 * $1 + 1)); }
node_dir() { echo "$data/node-$1"; }

# The pid of node $1 if it runs (and is really that node's java), else nothing.
node_pid() {
  local f pid
  f="$(node_dir "$1")/pid"
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$(node_dir "$1")/server.properties"; then
    echo "$pid"
  fi
}

load_cluster() {
  [ -f "$data/cluster.env" ] || die "no cluster in $data (run: ops/kafka.sh start --data $data)"
  base_port="$(cluster_value base_port)"
  brokers="$(cluster_value brokers)"
  kafka_version="$(cluster_value kafka_version)"
}

# The value of cluster_$1 in cluster.env (read, not sourced: the folder is data, not code).
cluster_value() {
  local value
  value="$(sed -n "s/^cluster_$1=//p" "$data/cluster.env")"
  [ -n "$value" ] || die "$data/cluster.env has no cluster_$1"
  echo "$value"
}

check_node_arg() {
  [ -z "$node" ] && return 0
  if ! [[ "$node" =~ ^[0-9]+$ ]] || [ "$node" -ge "$brokers" ]; then
    usage_error "--node $node: the cluster in $data has nodes 0..$((brokers - 1))"
  fi
}

# Nodes to act on: --node N, or all.
selected_nodes() {
  if [ -n "$node" ]; then echo "$node"; else seq 0 $((brokers - 1)); fi
}

# A Kafka uuid: 16 random bytes in URL-safe base64 without padding, not starting with '-'.
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [ "${id:0:1}" != "-" ] && { echo "$id"; return; }
  done
}

pick_base_port() {
  local p i free
  for ((p = 19092; p < 29000; p += 10)); do
    free=1
    for ((i = 0; i < 2 * brokers; i++)); do
      if port_listening $((p + i)); then free=0; break; fi
    done
    [ "$free" -eq 1 ] && { echo "$p"; return; }
  done
  die "no free block of $((2 * brokers)) ports between 19092 and 29000"
}

write_node_config() {
  local n=$1 dir voters="" i listener=PLAINTEXT
  [ -z "$tls_dir" ] || listener=SSL
  [ -z "$sasl_plain" ] || listener=SASL_SSL
  dir="$(node_dir "$n")"
  for ((i = 0; i < brokers; i++)); do
    voters+="${voters:+,}$i@127.0.0.1:$(controller_port "$i")"
  done
  local rf=$((brokers < 3 ? brokers : 3)) isr=$((brokers < 2 ? 1 : 2))
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<EOF
# Written by ops/kafka.sh: node $n of $brokers, a combined KRaft controller and broker on loopback.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=$listener://127.0.0.1:$(broker_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")
advertised.listeners=$listener://127.0.0.1:$(broker_port "$n")
listener.security.protocol.map=$listener:$listener,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=$listener
log.dirs=$dir/data
# Topics are created by uurwerk, with their replication factor and min.insync.replicas.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=$rf
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
# The log cleaner looks for compactable partitions every second, not every 15 s (Kafka's
# default): part of how long an erased personal text stays on disk (ops/README.md).
log.cleaner.backoff.ms=1000
# A small machine: few threads; a crashed node is fenced (and leaves the ISR) within 6 s.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
EOF
  if [ -n "$tls_dir" ]; then
    cat >>"$dir/server.properties" <<EOF
# --tls: PEM files as they are (Kafka 2.7 and later read PEM key and trust stores).
ssl.keystore.type=PEM
ssl.keystore.location=$tls_dir/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls_dir/ca.pem
EOF
  fi
  if [ -n "$sasl_plain" ]; then
    local user="${sasl_plain%%:*}" password="${sasl_plain#*:}"
    cat >>"$dir/server.properties" <<EOF
# --sasl-plain: a PLAIN login on the listener; the brokers log in to each other as "broker".
sasl.enabled.mechanisms=PLAIN
sasl.mechanism.inter.broker.protocol=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret" user_$user="$password";
EOF
  fi
  cat >"$dir/log4j2.properties" <<EOF
# Written by ops/kafka.sh: everything at INFO into logs/server.log (rolled at 50 MB, 3 kept).
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $dir/logs/server.log
appender.file.filePattern = $dir/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

# Creates the cluster's folder: ports, cluster id, node configs, formatted storage.
create_cluster() {
  [ "$brokers" = 1 ] || [ "$brokers" = 3 ] || usage_error "--brokers must be 1 or 3"
  [ -n "$base_port" ] || base_port="$(pick_base_port)"
  if ! [[ "$base_port" =~ ^[0-9]+$ ]] || [ "$base_port" -lt 1024 ] ||
    [ $((base_port + 2 * brokers)) -gt 65535 ]; then
    usage_error "--base-port $base_port is out of range"
  fi
  local cluster_id i pids=() failed=0
  cluster_id="$(random_cluster_id)"
  # Without cluster.env, node folders are the leftovers of a create that failed half-way.
  rm -rf "$data"/node-*
  mkdir -p "$data"
  for ((i = 0; i < brokers; i++)); do write_node_config "$i"; done
  local libs
  libs="$(libs_dir)"
  # Format every node's storage in parallel (one JVM each).
  for ((i = 0; i < brokers; i++)); do
    "$java_bin" -Xmx256m -cp "$libs/*" -Dlog4j2.configurationFile="$(node_dir "$i")/log4j2.properties" \
      kafka.tools.StorageTool format --config "$(node_dir "$i")/server.properties" \
      --cluster-id "$cluster_id" --ignore-formatted >"$(node_dir "$i")/logs/format.log" 2>&1 &
    pids+=($!)
  done
  for ((i = 0; i < brokers; i++)); do
    if ! wait "${pids[$i]}"; then
      echo "kafka.sh: formatting node $i failed:" >&2
      tail -n 20 "$(node_dir "$i")/logs/format.log" >&2
      failed=1
    fi
  done
  [ "$failed" -eq 0 ] || die "could not format storage in $data"
  local bootstrap=""
  for ((i = 0; i < brokers; i++)); do bootstrap+="${bootstrap:+,}127.0.0.1:$(broker_port "$i")"; done
  echo "$bootstrap" >"$data/bootstrap"
  # Written last: its presence means the folder is complete.
  cat >"$data/cluster.env" <<EOF
cluster_brokers=$brokers
cluster_base_port=$base_port
cluster_id=$cluster_id
cluster_kafka_version=$kafka_version
EOF
}

start_node() {
  local n=$1 dir pid p
  dir="$(node_dir "$n")"
  pid="$(node_pid "$n")"
  [ -z "$pid" ] || return 0
  for p in "$(broker_port "$n")" "$(controller_port "$n")"; do
    port_listening "$p" && die "node $n: port $p is taken by another program"
  done
  # Where this start's log begins, so readiness is judged on this run's lines only.
  touch "$dir/logs/server.log"
  stat -c %s "$dir/logs/server.log" >"$dir/logs/.start_offset"
  echo "==== $(date -Is) start" >>"$dir/logs/stdout.log"
  # setsid: the node outlives the shell that started it, and a terminal's ^C does not reach it.
  # shellcheck disable=SC2086
  setsid "$java_bin" $jvm_opts -Djava.awt.headless=true \
    -Dkafka.logs.dir="$dir/logs" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$(libs_dir)/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$dir/logs/stdout.log" 2>&1 &
  local child=$! tries=0
  echo "$child" >"$dir/pid"
  # Until the child has exec'd java, /proc/PID/cmdline is this shell's and node_pid does not
  # know it: on a loaded machine fork and exec can be far apart, and the readiness check then
  # took the node for one that exited. Wait for the exec (or the child's end), at most 10 s.
  while [ -d "/proc/$child" ] && [ -z "$(node_pid "$n")" ] && [ "$tries" -lt 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
  done
}

# Ready: the process runs, its broker port answers, and this run's log says the server started.
node_ready() {
  local n=$1 dir offset
  dir="$(node_dir "$n")"
  [ -n "$(node_pid "$n")" ] || return 1
  port_answers "$(broker_port "$n")" || return 1
  offset="$(cat "$dir/logs/.start_offset" 2>/dev/null || echo 0)"
  tail -c +"$((offset + 1))" "$dir/logs/server.log" 2>/dev/null | grep -q "Kafka Server started"
}

# The end of what node $1 logged since it was last started (errors first), for a failure message.
log_tail() {
  local dir offset
  dir="$(node_dir "$1")"
  offset="$(cat "$dir/logs/.start_offset" 2>/dev/null || echo 0)"
  echo "---- node $1: errors and last lines of $dir/logs/server.log since its start" >&2
  tail -c +"$((offset + 1))" "$dir/logs/server.log" 2>/dev/null | grep -E '^\[.*\] (ERROR|FATAL) ' |
    tail -n 5 >&2 || true
  echo "...." >&2
  tail -c +"$((offset + 1))" "$dir/logs/server.log" 2>/dev/null | tail -n 15 >&2 || true
  echo "---- node $1: last lines of $dir/logs/stdout.log" >&2
  tail -n 10 "$dir/logs/stdout.log" >&2 2>/dev/null || true
}

wait_ready() {
  local deadline=$((SECONDS + timeout_s)) n pending
  while :; do
    pending=()
    for n in "$@"; do
      if [ -z "$(node_pid "$n")" ]; then
        log_tail "$n"
        die "node $n exited while starting (logs above)"
      fi
      node_ready "$n" || pending+=("$n")
    done
    [ ${#pending[@]} -eq 0 ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      for n in "${pending[@]}"; do log_tail "$n"; done
      die "node(s) ${pending[*]} not ready after ${timeout_s}s (logs above)"
    fi
    sleep 0.2
  done
}

# Sends $2 to node $1 and waits (up to $3 s) until it has exited; SIGKILL after that.
signal_and_wait() {
  local n=$1 sig=$2 limit=$3 pid deadline
  pid="$(node_pid "$n")"
  [ -n "$pid" ] || { rm -f "$(node_dir "$n")/pid"; return 0; }
  kill "-$sig" "$pid" 2>/dev/null || true
  deadline=$((SECONDS + limit))
  while [ -d "/proc/$pid" ] && [ -n "$(node_pid "$n")" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "kafka.sh: node $n (pid $pid) still runs after ${limit}s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 10))
      limit=0
    fi
    sleep 0.1
  done
  rm -f "$(node_dir "$n")/pid"
}

# The start time of process $1 (field 22 of its stat, in clock ticks since boot), so that a
# new process that reuses the pid is not taken for the owner; nothing if it does not run.
process_start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  # The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  echo "${stat##*) }" | awk '{ print $20 }'
}

# Starts the watchdog of --owner (one per cluster folder): it stops every node once the owner
# has ended.
start_watchdog() {
  local started pid
  started="$(process_start_time "$owner")"
  [ -n "$started" ] || die "--owner $owner: no such process"
  pid="$(cat "$data/watchdog.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "_watch --data $data "; then
    return 0  # already watched
  fi
  setsid bash "$0" _watch --data "$data" --owner "$owner:$started" \
    </dev/null >>"$data/watchdog.log" 2>&1 &
  echo $! >"$data/watchdog.pid"
}

cmd_watch() {
  local pid="${owner%%:*}" started="${owner#*:}"
  echo "==== $(date -Is) watching process $pid for $data"
  while [ -f "$data/cluster.env" ] && [ "$(process_start_time "$pid")" = "$started" ]; do
    sleep 1
  done
  if [ -f "$data/cluster.env" ]; then
    # Its owner is gone, so is whatever used the cluster: SIGKILL is enough, and quick (the last
    # nodes of a quorum take long to stop the orderly way).
    echo "==== $(date -Is) process $pid ended: killing the cluster"
    local n pids=()
    for n in $(seq 0 $((brokers - 1))); do
      signal_and_wait "$n" KILL 10 &
      pids+=($!)
    done
    for n in "${pids[@]}"; do wait "$n"; done
  fi
  rm -f "$data/watchdog.pid"
}

# ---------------------------------------------------------------------------------------------
# Commands.

cmd_start() {
  if [ -f "$data/cluster.env" ]; then
    local wanted="$brokers" wanted_port="$base_port"
    load_cluster
    [ -z "$brokers_given" ] || [ "$wanted" = "$brokers" ] ||
      die "$data holds a cluster of $brokers node(s), not $wanted (stop it and use another --data)"
    [ -z "$wanted_port" ] || [ "$wanted_port" = "$base_port" ] ||
      die "$data holds a cluster on base port $base_port, not $wanted_port"
    check_node_arg
    fetch
  else
    [ -z "$node" ] || die "no cluster in $data yet: start all its nodes first"
    fetch
    create_cluster
  fi
  local n nodes
  mapfile -t nodes < <(selected_nodes)
  [ -z "$owner" ] || start_watchdog
  for n in "${nodes[@]}"; do start_node "$n"; done
  if [ -z "$no_wait" ]; then wait_ready "${nodes[@]}"; fi
  cmd_status
}

cmd_stop() {
  [ -f "$data/cluster.env" ] || return 0
  load_cluster
  check_node_arg
  local n pids=()
  # All at once: brokers that stop one by one wait on a quorum that is leaving.
  for n in $(selected_nodes); do
    signal_and_wait "$n" TERM "$timeout_s" &
    pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n"; done
}

cmd_kill() {
  [ -n "$node" ] || usage_error "kill needs --node N"
  load_cluster
  check_node_arg
  signal_and_wait "$node" KILL 10
}

cmd_restart() {
  [ -n "$node" ] || usage_error "restart needs --node N"
  load_cluster
  check_node_arg
  signal_and_wait "$node" TERM "$stop_timeout_s_default"
  start_node "$node"
  if [ -z "$no_wait" ]; then wait_ready "$node"; fi
  cmd_status
}

cmd_status() {
  load_cluster
  check_node_arg
  local n pid state all=0
  for n in $(selected_nodes); do
    pid="$(node_pid "$n")"
    if [ -z "$pid" ]; then
      state=stopped
      all=1
    elif node_ready "$n"; then
      state=ready
    else
      state=starting
    fi
    echo "node=$n pid=${pid:--} state=$state broker=127.0.0.1:$(broker_port "$n") controller=127.0.0.1:$(controller_port "$n")"
  done
  return "$all"
}

cmd_wait() {
  load_cluster
  check_node_arg
  local n nodes=()
  for n in $(selected_nodes); do [ -z "$(node_pid "$n")" ] || nodes+=("$n"); done
  [ ${#nodes[@]} -gt 0 ] || die "no node of $data runs"
  wait_ready "${nodes[@]}"
}

# ---------------------------------------------------------------------------------------------

[ $# -ge 1 ] || { usage >&2; exit 2; }
cmd="$1"
shift
data="${UURWERK_KAFKA_DATA:-$repo/build/kafka}"
brokers=1
brokers_given=""
base_port=""
node=""
no_wait=""
timeout_s=""
owner=""
tls_dir=""
sasl_plain=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="${2:?--data needs a folder}"; shift 2 ;;
    --brokers) brokers="${2:?--brokers needs 1 or 3}"; brokers_given=1; shift 2 ;;
    --base-port) base_port="${2:?--base-port needs a port}"; shift 2 ;;
    --node) node="${2:?--node needs a number}"; shift 2 ;;
    --no-wait) no_wait=1; shift ;;
    --timeout) timeout_s="${2:?--timeout needs seconds}"; shift 2 ;;
    --owner) owner="${2:?--owner needs a pid}"; shift 2 ;;
    --tls) tls_dir="${2:?--tls needs a folder}"; shift 2 ;;
    --sasl-plain) sasl_plain="${2:?--sasl-plain needs USER:PASSWORD}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option: $1" ;;
  esac
done
[ "$brokers" = 1 ] || [ "$brokers" = 3 ] || usage_error "--brokers must be 1 or 3"
[ -z "$timeout_s" ] || [[ "$timeout_s" =~ ^[0-9]+$ ]] || usage_error "--timeout needs whole seconds"
[ -z "$owner" ] || [[ "$owner" =~ ^[0-9]+(:[0-9]+)?$ ]] || usage_error "--owner needs a pid"
data="$(realpath -m "$data")"
if [ -n "$sasl_plain" ]; then
  [ -n "$tls_dir" ] || usage_error "--sasl-plain goes with --tls"
  [[ "$sasl_plain" =~ ^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$ ]] ||
    usage_error "--sasl-plain needs USER:PASSWORD (letters, digits, - and _)"
fi
if [ -n "$tls_dir" ]; then
  tls_dir="$(realpath -m "$tls_dir")"
  for f in broker.pem ca.pem; do
    [ -r "$tls_dir/$f" ] || usage_error "--tls $tls_dir: no readable $f there"
  done
fi

case "$cmd" in
  -h | --help | help) usage ;;
  fetch) fetch ;;
  start) timeout_s="${timeout_s:-$ready_timeout_s_default}"; cmd_start ;;
  stop) timeout_s="${timeout_s:-$stop_timeout_s_default}"; cmd_stop ;;
  kill) cmd_kill ;;
  restart) timeout_s="${timeout_s:-$ready_timeout_s_default}"; cmd_restart ;;
  status) cmd_status ;;
  bootstrap) load_cluster; cat "$data/bootstrap" ;;
  wait) timeout_s="${timeout_s:-$ready_timeout_s_default}"; cmd_wait ;;
  _watch) load_cluster; cmd_watch ;;
  *) usage_error "unknown command: $cmd" ;;
esac
