#!/usr/bin/env bash
# bench/gpu.sh — everything issue 11 asks to measure on a discrete GPU, in one bounded run (< 6 minutes):
#   gradsight doctor; a correctness check of the conv kernels on this adapter (bench/gpu_check.mjs: gemm and
#   register tiles against a float64 reference, the whole network gemm vs register); gradsight bench at batch 1 with the built-in GPU tiles (implicit-GEMM kernels) before
#   tuning; gradsight tune; gradsight bench (tuned) at batch 1 and 5 for forward, saliency, fooling and classviz
#   with host-side cost per step and GPU timestamps per kernel (--profile); npm run bench -- peers (tfjs-webgpu
#   on the same adapter, no PyTorch); npm run bench -- kernels (every SqueezeNet conv shape, GPU time).
# Results: $OUT (else ./gpu-out): gpu.log (everything printed), gpu.json (every step's JSON, rc and seconds),
# gpu-summary.md (the table against the targets). Three files; raw step outputs stay in a temp folder.
#
#   bash bench/gpu.sh            the full run (on the GPU machine)
#   bash bench/gpu.sh --quick    a dry run with tiny run counts (e.g. here on lavapipe) that exercises every step
#   bash bench/gpu.sh --pack     (here) pack what the GPU machine lacks into .devpack/: node (xz), dist/ and
#                                Dawn's linux-x64 build (node_modules/webgpu), the tfjs bundle; carry .devpack
#
# On the GPU machine nothing is built or fetched: node is $NODE, else `node` on PATH, else .devpack/node(.xz);
# node_modules/webgpu, dist/ and the tfjs bundle come from the checkout, else from .devpack/*.tar.xz. The Vulkan
# loader: .gl/*.deb are unpacked when libvulkan.so.1 is missing; VK_DRIVER_FILES is set to NVIDIA's ICD when it
# is unset and that file exists. Every step has a timeout and the whole run a deadline (GPU_SH_BUDGET seconds,
# default 380); a step that fails or times out is recorded and the run goes on.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
MODE="${1:-full}"
PACK="$ROOT/.devpack"

xzcat_any() { # xz-decompress $1 to stdout with xz, else python3's lzma
  if command -v xz >/dev/null 2>&1; then xz -dc "$1"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi
}

if [ "$MODE" = "--pack" ]; then
  set -e
  mkdir -p "$PACK"
  command -v xz >/dev/null || { echo "gpu.sh --pack: needs xz"; exit 2; }
  node build.mjs  # dist/ as the checkout is now
  # The tfjs bundle (built by the peers benchmark on first use).
  if [ ! -f node_modules/.cache/gradsight-bench/tfjs-webgpu.mjs ]; then
    node -e "import('./bench/tfjs_squeezenet.mjs').then(async (m) => { await m.initTfjsWebGPU(); process.exit(0); })"
  fi
  if [ ! -s "$PACK/node.xz" ]; then xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > "$PACK/node.xz"; fi
  tar -cJf "$PACK/webgpu.tar.xz" node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/types.d.ts node_modules/webgpu/dist/linux-x64
  tar -cJf "$PACK/dist.tar.xz" dist/cli.js dist/index.js
  tar -cJf "$PACK/tfjs.tar.xz" node_modules/.cache/gradsight-bench/tfjs-webgpu.mjs
  du -ch "$PACK"/* | tail -n 20
  echo "packed into $PACK; carry it (and .gl) to the GPU machine"
  exit 0
fi

QUICK=0
[ "$MODE" = "--quick" ] && QUICK=1
OUTDIR="${OUT:-$ROOT/gpu-out}"
mkdir -p "$OUTDIR"
RAW="$(mktemp -d /tmp/gradsight-gpu.XXXXXX)"
LOG="$OUTDIR/gpu.log"
: > "$LOG"
exec > >(tee -a "$LOG") 2>&1
BUDGET="${GPU_SH_BUDGET:-380}"
START=$SECONDS
say() { echo "[gpu.sh +$((SECONDS - START))s] $*"; }
say "start $(date -u +%FT%TZ) mode=$MODE root=$ROOT out=$OUTDIR raw=$RAW budget=${BUDGET}s"

# ---- Vulkan loader and driver ----
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  if ls "$ROOT"/.gl/*.deb >/dev/null 2>&1; then
    say "libvulkan.so.1 missing: unpacking .gl/*.deb"
    for f in "$ROOT"/.gl/*.deb; do dpkg -x "$f" / || say "dpkg -x $f failed"; done
    ldconfig || true
  else
    say "warning: libvulkan.so.1 not found and no .gl/*.deb to unpack"
  fi
fi
NV_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$NV_ICD" ]; then export VK_DRIVER_FILES="$NV_ICD"; fi
say "VK_DRIVER_FILES=${VK_DRIVER_FILES:-<unset>}"

# ---- node ----
NODE_BIN="${NODE:-}"
[ -z "$NODE_BIN" ] && NODE_BIN="$(command -v node || true)"
if [ -z "$NODE_BIN" ] && [ -x "$PACK/node" ]; then NODE_BIN="$PACK/node"; fi
if [ -z "$NODE_BIN" ] && [ -s "$PACK/node.xz" ]; then
  mkdir -p /tmp/gradsight-node
  xzcat_any "$PACK/node.xz" > /tmp/gradsight-node/node.bin
  if [ "$(head -c 4 /tmp/gradsight-node/node.bin | od -An -c | tr -d ' ')" = '177ELF' ]; then
    mv /tmp/gradsight-node/node.bin /tmp/gradsight-node/node
  else # a tar (an official node-vX-linux-x64.tar.xz)
    tar -xf /tmp/gradsight-node/node.bin -C /tmp/gradsight-node && rm -f /tmp/gradsight-node/node.bin
    ln -sf "$(find /tmp/gradsight-node -path '*/bin/node' -type f | head -n 1)" /tmp/gradsight-node/node
  fi
  chmod +x /tmp/gradsight-node/node
  NODE_BIN=/tmp/gradsight-node/node
fi
if [ -z "$NODE_BIN" ] || ! "$NODE_BIN" --version >/dev/null 2>&1; then
  say "FATAL: no working node (set NODE=/path/to/node, put node on PATH, or carry .devpack/node.xz made by 'bash bench/gpu.sh --pack')"
  exit 3
fi
say "node $("$NODE_BIN" --version) at $NODE_BIN"
export PATH="$(dirname "$NODE_BIN"):$PATH"

# ---- what the run needs from the checkout (no build, no network) ----
unpack() { # unpack .devpack/$1 into the checkout when $2 is missing
  if [ ! -e "$ROOT/$2" ]; then
    if [ -s "$PACK/$1" ]; then say "unpacking .devpack/$1"; xzcat_any "$PACK/$1" | tar -xf - -C "$ROOT" || say "unpacking $1 failed"
    else say "warning: $2 missing and no .devpack/$1"; fi
  fi
}
unpack webgpu.tar.xz node_modules/webgpu/index.js
unpack dist.tar.xz dist/cli.js
unpack tfjs.tar.xz node_modules/.cache/gradsight-bench/tfjs-webgpu.mjs
for f in dist/cli.js dist/index.js node_modules/webgpu/index.js; do
  [ -e "$ROOT/$f" ] || { say "FATAL: $f missing (run 'bash bench/gpu.sh --pack' where the checkout is built and carry .devpack)"; exit 4; }
done
export GRADSIGHT_BENCH_NO_BUILD=1
export GRADSIGHT_CACHE="$RAW/cache"  # a fresh tune cache for this run
mkdir -p "$GRADSIGHT_CACHE"

if [ $QUICK = 1 ]; then
  RUNS=2; WARM=1; ROUNDS=1; PRUNS=1; PWARM=0; PBATCH=1; KB=1; KRUNS=1; KFILTER=classifier; ABR=1
else
  RUNS=30; WARM=5; ROUNDS=5; PRUNS=20; PWARM=3; PBATCH=1,5; KB=1,8; KRUNS=5; KFILTER=; ABR=15
fi

# step NAME LIMIT_S MIN_S CMD...: run with a timeout bounded by the deadline (skipped when less than MIN_S
# is left); stdout to $RAW/NAME.out, stderr to the log; then the report is refreshed.
step() {
  local name=$1 limit=$2 min=$3
  shift 3
  local left=$((BUDGET - (SECONDS - START)))
  if [ "$left" -lt "$min" ]; then
    say "SKIP $name: ${left}s left of the ${BUDGET}s budget (needs ${min}s)"
    echo "skipped" > "$RAW/$name.rc"
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  say "RUN $name (timeout ${limit}s): $*"
  local t0=$SECONDS
  timeout -k 5 "$limit" "$@" > "$RAW/$name.out"
  local rc=$?
  echo "$rc $((SECONDS - t0))" > "$RAW/$name.rc"
  tail -n 3 "$RAW/$name.out" | cut -c1-400
  say "END $name rc=$rc in $((SECONDS - t0))s"
  "$NODE_BIN" "$ROOT/bench/gpu_report.mjs" "$RAW" "$OUTDIR" > /dev/null || say "report failed"
}

CLI="$ROOT/dist/cli.js"
step machine 10 1 bash -c 'uname -a; nproc; (nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv 2>/dev/null || true); "$0" --version; ls /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr "\n" " "; echo' "$NODE_BIN"
step doctor 40 10 "$NODE_BIN" "$CLI" doctor --json
if [ "$(cut -d' ' -f1 "$RAW/doctor.rc")" != 0 ]; then
  # No adapter: try each NVIDIA Vulkan ICD file found on the machine.
  for icd in $(find /usr/local/nvidia /usr/share/vulkan /etc/vulkan /usr/lib/x86_64-linux-gnu -name 'nvidia_icd*.json' 2>/dev/null); do
    [ "$icd" = "${VK_DRIVER_FILES:-}" ] && continue
    export VK_DRIVER_FILES="$icd"
    say "doctor failed: retrying with VK_DRIVER_FILES=$icd"
    step doctor 40 10 "$NODE_BIN" "$CLI" doctor --json
    [ "$(cut -d' ' -f1 "$RAW/doctor.rc")" = 0 ] && break
  done
fi
step check 90 20 "$NODE_BIN" bench/gpu_check.mjs $([ $QUICK = 1 ] && echo --quick) --json
step bench_defaults_b1 60 20 env GRADSIGHT_TUNING=off "$NODE_BIN" "$CLI" bench --batch 1 --runs $RUNS --warmup $WARM --profile --json
step tune 100 30 "$NODE_BIN" "$CLI" tune --rounds $ROUNDS --json
step bench_b1 60 20 "$NODE_BIN" "$CLI" bench --batch 1 --runs $RUNS --warmup $WARM --profile --json
step peers 120 40 "$NODE_BIN" bench/run.mjs peers --no-torch --runs $PRUNS --warmup $PWARM --batches $PBATCH --json
step bench_b5 60 20 "$NODE_BIN" "$CLI" bench --batch 5 --runs $RUNS --warmup $WARM --profile --json
# The stride-1 input gradients through the gemm forward (gemmInputGradAsForward, the default) against the
# dedicated gemm input-gradient kernel, alternated in one process with the built-in GPU tiles.
step ab_input_grad 60 20 "$NODE_BIN" bench/tune_ab.mjs '{"gemmInputGradAsForward":true}' '{"gemmInputGradAsForward":false}' 1 $ABR
step kernels 80 25 "$NODE_BIN" bench/run.mjs kernels --batches $KB --runs $KRUNS --warmup 1 --budget 60 ${KFILTER:+--filter $KFILTER} --json

"$NODE_BIN" "$ROOT/bench/gpu_report.mjs" "$RAW" "$OUTDIR" || say "report failed"
say "done in $((SECONDS - START))s; results in $OUTDIR (gpu.json, gpu-summary.md, gpu.log)"
sleep 1 # let tee finish the log
