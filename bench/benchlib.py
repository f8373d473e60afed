"""What the benchmark scripts share: running a command and stopping with what it said."""

import subprocess
import sys


def run(*cmd, check=True):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    if check and proc.returncode:
        sys.exit('bench: %s failed (rc %d): %s'
                 % (' '.join(cmd), proc.returncode, (proc.stderr or proc.stdout)[-2000:]))
    return proc
