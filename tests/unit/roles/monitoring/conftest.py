"""The monitoring role's host-side programs import each other as top-level modules (they are installed side by
side in /usr/local/lib/homelab-monitoring): make roles/monitoring/files importable the same way."""

import os
import sys

FILES = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'monitoring', 'files'))
if FILES not in sys.path:
    sys.path.insert(0, FILES)
