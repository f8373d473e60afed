"""The harvester role's host-side programs (roles/harvester/files) are plain scripts: import them from there."""

import os
import sys

FILES = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'harvester', 'files'))
if FILES not in sys.path:
    sys.path.insert(0, FILES)
