"""make lab-down removes the lab's files even when a file vanishes while the tree is deleted (the lab's gpg-agent
removes its sockets as it exits: that used to fail the removal)."""

import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'lab'))
import lab  # noqa: E402  (lab code, not part of the collection)


def test_a_file_that_vanishes_during_removal_is_fine(tmp_path, monkeypatch):
    tree = tmp_path / 'build'
    (tree / 'vault' / 'gnupg').mkdir(parents=True)
    sock = tree / 'vault' / 'gnupg' / 'S.gpg-agent'
    sock.write_text('')
    real_unlink = os.unlink

    def racing_unlink(path, *args, **kwargs):
        if str(path).endswith('S.gpg-agent') or getattr(path, 'endswith', lambda _s: False)('S.gpg-agent'):
            real_unlink(path, *args, **kwargs)  # the agent got there first
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, 'unlink', racing_unlink)
    lab.remove_tree(str(tree))
    assert not tree.exists()


def test_other_errors_still_fail(tmp_path, monkeypatch):
    tree = tmp_path / 'build'
    (tree / 'x').mkdir(parents=True)
    (tree / 'x' / 'f').write_text('')

    def denied(path, *args, **kwargs):
        raise PermissionError(13, 'Permission denied', str(path))

    monkeypatch.setattr(os, 'unlink', denied)
    with pytest.raises(PermissionError):
        lab.remove_tree(str(tree))
    monkeypatch.undo()
    shutil.rmtree(tree)
