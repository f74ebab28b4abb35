"""Run a matrix cell's command and report its wall and CPU time (children included).

CPU time tells how long a cell takes on an idle machine when the one it runs on is busy.
Usage (tox.ini): python scripts/gates/cell_run.py -m pytest ...
"""
import resource
import subprocess
import sys
import time

start = time.time()
rc = subprocess.call([sys.executable] + sys.argv[1:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print("cell time: wall %.0fs, cpu %.0fs (user %.0fs, sys %.0fs)" % (
    time.time() - start, usage.ru_utime + usage.ru_stime, usage.ru_utime, usage.ru_stime))
sys.exit(rc)
