#!/usr/bin/env bash
# The Slurm recipe for real, on this machine (root, Debian 12): installs slurm-wlm and munge,
# starts a one-node cluster (munged, slurmctld, slurmd), submits examples/cluster/slurm/
# render-array.sbatch as a 3-task array over the six clips of examples/cluster/batch (preview
# backend, 128x128, 24 frames; the --gres line dropped: no GPU here), stops one task with
# SIGTERM mid-clip the way preemption does (the task exits 75 and requeues itself), waits, and
# checks: every clip done once, every frame byte-identical to a single-process render, no two
# live workers on one clip (lease history). Not part of CTest: it installs packages and starts
# daemons. It stops the daemons it started when it ends.
#   bash scripts/test-slurm.sh            (K3ANIM=path/to/k3anim, default build/cli/k3anim)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
K3ANIM=${K3ANIM:-$REPO/build/cli/k3anim}
WORK=${K3_SLURM_WORK:-/tmp/k3anim-slurm}
FRAMES=24  # long enough for the preemption to land mid-clip on a busy machine
[ "$(id -u)" = 0 ] || { echo "test-slurm: run as root (installs packages, starts daemons)"; exit 1; }
[ -x "$K3ANIM" ] || { echo "test-slurm: expected a built k3anim at $K3ANIM (bash scripts/build.sh)"; exit 1; }
say() { echo "test-slurm: $*"; }

say "installing slurm-wlm and munge (Debian)"
export DEBIAN_FRONTEND=noninteractive
dpkg -s slurmctld slurmd munge >/dev/null 2>&1 || apt-get install -y -q slurm-wlm munge >/dev/null
sinfo --version

HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048 ))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
rm -f /etc/slurm/cgroup.conf  # slurmd finds the cgroup version itself
cat > /etc/slurm/slurm.conf <<EOF
# written by k3anim scripts/test-slurm.sh: one node, root daemons, no accounting
ClusterName=k3anim-test
SlurmctldHost=$HOST
AuthType=auth/munge
SlurmUser=root
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
JobRequeue=1
KillWait=30
MpiDefault=none
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

started=()
cleanup() {
  for pidfile in "${started[@]}"; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
}
trap cleanup EXIT

[ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
chown munge:munge /etc/munge/munge.key /run/munge && chmod 400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  started+=(/run/munge/munged.pid)
fi
munge -n | unmunge | grep -q 'STATUS:.*Success' && say "munge works"
if ! scontrol ping 2>/dev/null | grep -q UP; then
  rm -rf /var/spool/slurmctld/*
  slurmctld -i
  started+=(/run/slurmctld.pid)
fi
if ! pgrep -x slurmd >/dev/null; then
  slurmd
  started+=(/run/slurmd.pid)
fi
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break; sleep 1; done
sinfo
scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true

say "work folder $WORK"
rm -rf "$WORK" && mkdir -p "$WORK"
ROOT=$WORK/root
# The example script as it is, less its GPU request (this machine has none).
sed '/^#SBATCH --gres/d' examples/cluster/slurm/render-array.sbatch > "$WORK/render-array-preview.sbatch"
EXTRA="--set width=128 --set height=128 --frames $FRAMES"
export K3ANIM K3_RUN_ROOT=$ROOT K3_BATCH=$REPO/examples/cluster/batch K3_PREVIEW=1 K3_EXTRA=$EXTRA K3ANIM_LEASE_TIMEOUT=5
JOB=$(sbatch --parsable --array=0-2 --cpus-per-task=1 --mem=1G --chdir="$WORK" --export=ALL "$WORK/render-array-preview.sbatch")
say "submitted job array $JOB (3 tasks over 6 clips)"

# Preemption: SIGTERM one running task while its clip is half done.
journal_frames() { grep -o '"next_frame": [0-9]*' "$1/state/journal.json" 2>/dev/null | grep -o '[0-9]*$' || echo 0; }
preempted=""
for _ in $(seq 600000); do
  for clip in "$ROOT"/*/; do
    [ -f "$clip/done.json" ] && continue
    n=$(journal_frames "$clip")
    if [ "$n" -ge 2 ] && [ "$n" -le $((FRAMES - 3)) ]; then
      pid=$(grep -o '"pid": [0-9]*' "$(ls "$clip"/lease/*.json | tail -1)" | grep -o '[0-9]*$')
      task=$(tr '\0' '\n' < "/proc/$pid/environ" | sed -n 's/^SLURM_ARRAY_TASK_ID=//p')
      say "preempting task ${JOB}_$task (scancel --signal=TERM) while $(basename "$clip") has $n/$FRAMES frames"
      scancel --signal=TERM "${JOB}_$task"
      preempted=$(basename "$clip")
      break 2
    fi
  done
  squeue -h -j "$JOB" | grep -q . || break
  sleep 0.01
done
[ -n "$preempted" ] || say "WARNING: every clip finished before a SIGTERM could land mid-clip"
sleep 1
"$K3ANIM" status "$ROOT"

say "waiting for the array"
for _ in $(seq 600); do
  squeue -h -j "$JOB" | grep -q . || break
  # Slurm holds a requeued job for about two minutes (Reason=BeginTime); a test need not wait.
  for held in $(squeue -h -j "$JOB" -t PD -o '%i %r' | awk '$2 == "BeginTime" {print $1}'); do
    say "requeued task $held is held until its BeginTime: releasing it now"
    scontrol update JobId="$held" StartTime=now
  done
  sleep 1
done
squeue -h -j "$JOB" | grep -q . && { say "FAILED: the array is still queued after 10 minutes"; squeue; exit 1; }
for log in "$WORK"/k3anim-*.log; do echo "--- $(basename "$log")"; cat "$log"; done

say "status after the array"
"$K3ANIM" status "$ROOT"
"$K3ANIM" status "$ROOT" --json > "$WORK/status.json"

say "single-process reference render"
mapfile -t presets < <(LC_ALL=C ls -1 "$K3_BATCH"/*.json)
# shellcheck disable=SC2086
"$K3ANIM" --quiet render "${presets[@]}" --preview $EXTRA --run-dir "$WORK/reference" >/dev/null

python3 - "$ROOT" "$WORK/reference" "$WORK/status.json" "$FRAMES" "$preempted" <<'PY'
import json, os, sys
root, reference, status_path, frames, preempted = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
status = json.load(open(status_path))["clips"]
failures = []
def check(ok, what):
    if not ok: failures.append(what)
check(len(status) == 6, f"expected 6 clips, got {len(status)}")
differing = 0
for clip in status:
    name = clip["name"]
    check(clip["state"] == "done", f"{name}: expected done, got {clip['state']}")
    for i in range(frames):
        a = open(f"{root}/{name}/frames/{i:06d}.png", "rb").read()
        b = open(f"{reference}/{name}/frames/{i:06d}.png", "rb").read()
        differing += a != b
    events = [json.loads(l) for l in open(f"{root}/{name}/leases.log")]
    check(sum(e["event"] == "release" and e["detail"] == "done" for e in events) == 1, f"{name}: expected one 'done' release")
    check(not any(e["event"] == "lost" for e in events), f"{name}: a worker lost its lease")
    # Each generation starts only after the previous one released (no SIGKILL here).
    ends = {e["generation"]: e["time"] for e in events if e["event"] == "release"}
    for e in events:
        if e["event"] in ("acquire", "takeover") and e["generation"] > 1:
            prev = e["generation"] - 1
            check(prev in ends and ends[prev] <= e["time"], f"{name}: generation {e['generation']} began while {prev} was live")
        if e["event"] == "frame" and e["generation"] in ends:
            check(e["time"] <= ends[e["generation"]], f"{name}: a frame after its holder's release")
    gens = sorted({e["generation"] for e in events})
    print(f"  {name}: {len(gens)} lease generation(s), holders " +
          ", ".join(f"{e['host']}:{e['pid']}" for e in events if e["event"] in ("acquire", "takeover")))
if preempted:
    # scancel's signal lands a moment later: the task may have moved on to its next clip.
    stops = []
    for clip in status:
        events = [json.loads(l) for l in open(f"{root}/{clip['name']}/leases.log")]
        for e in events:
            if e["event"] == "release" and e["detail"].startswith("stopped by SIGTERM"):
                after = [x for x in events if x["event"] == "frame" and x["generation"] > e["generation"]]
                stops.append((clip["name"], e["frame"], after[0]["frame"] if after else None))
    check(len(stops) == 1, f"expected one SIGTERM stop in the histories, got {stops}")
    for name, at, resumed in stops:
        check(resumed == at, f"{name}: expected the requeued task to resume at frame {at}, got {resumed}")
        print(f"  {name}: stopped by SIGTERM at frame {at}, the requeued task resumed at frame {resumed}")
print(f"  frames compared: {6 * frames}, differing from the single-process render: {differing}")
check(differing == 0, f"{differing} frames differ")
if failures:
    print("test-slurm: FAILED\n  " + "\n  ".join(failures)); sys.exit(1)
print("test-slurm: PASSED")
PY
