#!/usr/bin/env python3
"""CPU shares of a sparkbench --cpuprofile, by call stack (go tool pprof -traces).

Usage: python3 workloads/testdata/cpushares.py cpu.out...

Each sample is put in one class, first match wins, looking at its whole stack:
  host       runtime._ExternalCode (wazero-compiled wasm), or any host./store./wazero frame
             (the host's and the store's own clock reads included)
  recording  any reports. frame, or the workloads observer adapters (recObserver,
             storeObserver), or a clock read directly under workloads.(*worker).Do
  render     request rendering under worker.Do (templates, generators)
  exec-wait  executor spinner.waitUntil (spinning and sleeping for the next start)
  executor   any other internal/executor frame
  worker     the rest of worker.Do
  sched      stacks of runtime/time/sync frames only (scheduler, futex, timers, netpoll):
             counted with the executor, which causes nearly all of it
  gc, other  the rest
Shares are of all samples of the process.
"""
import re, subprocess, sys
from collections import defaultdict

GC = ('runtime.gcBgMarkWorker', 'runtime.bgsweep', 'runtime.bgscavenge', 'runtime.gcDrain', 'runtime.mallocgc',
      'runtime.gcStart', 'runtime.markroot', 'runtime.scanobject', 'runtime.gcAssist', 'runtime.(*mheap)',
      'runtime.gcMarkDone', 'runtime.forEachP', 'runtime.stopTheWorld', 'runtime.startTheWorld', 'runtime.(*sweepLocked)',
      'runtime.freeStack', 'runtime.newstack', 'runtime.morestack')

def classify(stack):
    # stack: leaf first
    if not stack:
        return 'other'
    if stack[0] == 'runtime._ExternalCode':
        return 'host'  # wazero-compiled wasm (JIT code outside Go text)
    s = ' '.join(stack)
    if 'sparkbench/reports.' in s or 'workloads.(*recObserver)' in s or 'workloads.(*storeObserver)' in s:
        return 'recording'
    if 'sparkbench/host.' in s or 'sparkbench/store.' in s or 'wazero' in s or 'sparkbench/flares' in s:
        return 'host'
    if any(f.startswith('runtime.gc') or f.startswith('runtime.bgsweep') or f.startswith('runtime.bgscavenge') for f in stack):
        return 'gc'
    if 'workloads.(*worker).Do' in s:
        # worker.Do outside host and reports: render (request generation) or its clock reads
        if 'workloads.(*worker).render' in s or 'internal/gen' in s or 'workloads.(*Template)' in s:
            return 'render'
        if stack[0].startswith('time.') or 'runtime.nanotime' in stack[0] or 'time.Now' in s:
            return 'recording'  # end := time.Now(): the response-time clock read
        return 'worker'
    if 'executor.(*spinner).waitUntil' in s:
        return 'exec-wait'
    if 'internal/executor.' in s:
        return 'executor'
    if 'sparkbench/workloads' in s or 'main.' in s or 'cmd/sparkbench' in s:
        return 'other'
    if any(f.startswith(p) for f in stack for p in GC):
        return 'gc'
    if all(f.startswith('runtime.') or f.startswith('internal/runtime') or f.startswith('time.') or f.startswith('sync.') for f in stack):
        return 'sched'
    return 'other'

def main(path):
    out = subprocess.run(['go', 'tool', 'pprof', '-traces', path], capture_output=True, text=True).stdout
    blocks = out.split('-----------+-------------------------------------------------------')
    tot = defaultdict(float)
    unit = re.compile(r'^\s*([\d.]+)(ms|s|us|µs|ns)\s+(\S.*)$')
    for b in blocks:
        lines = [l for l in b.splitlines() if l.strip()]
        val = None; stack = []
        for l in lines:
            m = unit.match(l)
            if m and val is None:
                v = float(m.group(1)); u = m.group(2)
                val = v * {'s': 1000, 'ms': 1, 'us': 1e-3, 'µs': 1e-3, 'ns': 1e-6}[u]
                stack.append(m.group(3).strip())
            elif val is not None:
                stack.append(l.strip())
        if val is None:
            continue
        tot[classify(stack)] += val
    total = sum(tot.values())
    res = {k: 100 * v / total for k, v in tot.items()}
    print('%s total %.2fs: ' % (path, total / 1000) + '  '.join('%s %.1f%%' % (k, res[k]) for k in sorted(res, key=lambda k: -res[k])) +
          '  | EXEC(executor+wait+sched) %.1f%%  EXEC+REC %.1f%%' % (res.get('executor', 0) + res.get('exec-wait', 0) + res.get('sched', 0), res.get('executor', 0) + res.get('exec-wait', 0) + res.get('sched', 0) + res.get('recording', 0)))

for p in sys.argv[1:]:
    main(p)
