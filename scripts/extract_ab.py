#!/usr/bin/env python3
"""Interleaved A/B of one extract's start-up: two dsr binaries take turns
on a demo tenant, DSR_TRACE=1; medians of wall and CPU time, and of each
traced phase.

usage: scripts/extract_ab.py BASE NEW DEMO_DIR [RUNS]
(DEMO_DIR from `dsr demo DIR --subjects 10000`; extracts are written to
/tmp and deleted.)"""
import subprocess, time, os, statistics, re, sys
D=sys.argv[3]
bins={"base":sys.argv[1],"new":sys.argv[2]}
N=int(sys.argv[4]) if len(sys.argv)>4 else 15
wall={k:[] for k in bins}; cpu={}; phase={k:{} for k in bins}
for i in range(N):
    for k,b in (bins.items() if i%2==0 else reversed(list(bins.items()))):
        out=f"/tmp/dsr-extract-ab-{k}-{i}.json"
        if os.path.exists(out): os.remove(out)
        env=dict(os.environ,DSR_TRACE="1")
        t=time.perf_counter()
        p=subprocess.Popen([b,"--store",f"{D}/tenant.db","--map",f"{D}/datamap.toml","extract",f"customer_id:{100+i}","-o",out],env=env,stdout=subprocess.DEVNULL,stderr=open("/tmp/dsr-extract-ab-err","w"))
        _,st,ru=os.wait4(p.pid,0)
        wall[k].append((time.perf_counter()-t)*1000)
        cpu.setdefault(k,[]).append((ru.ru_utime+ru.ru_stime)*1000)
        assert st==0
        p.stderr=open("/tmp/dsr-extract-ab-err").read()
        os.remove(out)
        for line in p.stderr.splitlines():
            m=re.match(r"dsr trace: (\s*\S.*?) ([\d.]+) ms",line)
            if m: phase[k].setdefault(m.group(1).strip(),[]).append(float(m.group(2)))
for k in bins:
    print(k,"wall median %.2f ms  min %.2f  (n=%d)"%(statistics.median(wall[k]),min(wall[k]),len(wall[k])))
for k in bins: print(k,"cpu median %.2f ms"%statistics.median(cpu[k]))
print("cpu ratio new/base %.3f"%(statistics.median(cpu["new"])/statistics.median(cpu["base"])))
print("ratio new/base %.3f"%(statistics.median(wall["new"])/statistics.median(wall["base"])))
for name in phase["base"]:
    if name in phase["new"]:
        print("  %-50s base %.3f  new %.3f"%(name,statistics.median(phase["base"][name]),statistics.median(phase["new"][name])))
