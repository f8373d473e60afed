"""Where do the collection's playbooks and roles write on the controller? (issue 22)

An AWX job runs in a container that is thrown away after the run, and cron on a laptop loses its disk to a
reinstall: whatever a playbook must remember between runs lives on a managed host (the logic node) or in the
vault. This module finds every task that WRITES ON THE CONTROLLER and says whether it is documented as allowed.

A task runs on the controller when
  * it is delegated to ``localhost`` / ``127.0.0.1`` / ``::1`` (on the task or an enclosing block), uses
    ``local_action`` or ``connection: local``, or
  * it is not delegated and its play targets ``hosts: localhost`` (directly, or through the task files and roles
    the play includes), or
  * its module is ``fetch`` (its ``dest`` is always on the controller).
A delegation that is a template (``delegate_to: "{{ power_reader }}"``) is a managed host.

It writes when its module is one of WRITERS, ``uri`` with ``dest``, or a command (``command``, ``shell``,
``script``, ``raw``, ``expect``) that does not declare ``changed_when: false``.

Such a write is allowed only when the task documents it, on one of its own lines (not its children's):
  * ``cache``: a comment or the task's name says so with the word *cache* or *scratch* -- a scratch file or a copy
    that may be lost at any time because the truth lives elsewhere (the jobs role's collection build, the OPNsense
    backup's download before it goes to the logic node, a CA copy);
  * ``controller-file``: a comment ``# controller file: <why>`` on a file the user names and keeps on purpose,
    refused in ephemeral directories by a guard (the vault init file, ``roles/vault/tasks/init_file_guard.yml``).

Run it directly to list the findings: ``python tests/unit/state_location.py``.
"""

import os
import re
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

CONTROLLER = frozenset(('localhost', '127.0.0.1', '::1'))
WRITERS = frozenset((
    'copy', 'template', 'file', 'lineinfile', 'blockinfile', 'replace', 'ini_file', 'get_url', 'unarchive',
    'tempfile', 'assemble', 'known_hosts', 'archive', 'fetch', 'git', 'htpasswd', 'openssl_privatekey',
    'openssh_keypair', 'x509_certificate', 'homelab.cluster.power_report', 'homelab.cluster.opnsense_backup',
))
COMMANDS = frozenset(('command', 'shell', 'script', 'raw', 'expect'))
SHORT = re.compile(r'^(?:ansible\.(?:builtin|legacy|posix)|community\.(?:general|crypto))\.')
TASK_KEYWORDS = frozenset((
    'action', 'any_errors_fatal', 'args', 'async', 'become', 'become_exe', 'become_flags', 'become_method',
    'become_user', 'changed_when', 'check_mode', 'collections', 'connection', 'debugger', 'delay', 'delegate_facts',
    'delegate_to', 'diff', 'environment', 'failed_when', 'ignore_errors', 'ignore_unreachable', 'local_action',
    'loop', 'loop_control', 'module_defaults', 'name', 'no_log', 'notify', 'poll', 'port', 'register',
    'remote_user', 'retries', 'run_once', 'tags', 'throttle', 'timeout', 'until', 'vars', 'when', 'listen',
    'block', 'rescue', 'always',
))
INCLUDES = frozenset(('include_tasks', 'import_tasks'))
ROLE_INCLUDES = frozenset(('include_role', 'import_role'))
CACHE = re.compile(r'\b(?:cache|scratch)\b', re.IGNORECASE)
CONTROLLER_FILE = re.compile(r'#\s*controller file:\s*\S', re.IGNORECASE)
COMMENT = re.compile(r'(?:^|\s)#(.*)$')


class Finding:
    """One task that writes on the controller."""

    def __init__(self, path, line, name, module, why, documented):
        self.path, self.line, self.name, self.module = path, line, name, module
        self.why, self.documented = why, documented

    def key(self):
        return (self.path, self.line)

    def __repr__(self):
        return '%s:%d %s (%s; %s): %s' % (self.path, self.line, self.name, self.module, self.why,
                                          self.documented or 'NOT documented as a cache or a controller file')


def _module(task):
    """The task's module (short name for ansible.builtin & co), its arguments and whether local_action."""
    if 'local_action' in task:
        spec = task['local_action']
        if isinstance(spec, dict):
            return SHORT.sub('', str(spec.get('module', ''))), spec, True
        return SHORT.sub('', str(spec).split()[0]), {'_raw': spec}, True
    for key, value in task.items():
        if key not in TASK_KEYWORDS and not key.startswith('with_'):
            return SHORT.sub('', key), value if isinstance(value, dict) else {'_raw': value}, False
    return '', {}, False


def _literal_false(value):
    return value is False or (isinstance(value, str) and value.strip().lower() in ('false', 'no'))


def _writes(module, args, task):
    if module in WRITERS:
        return True
    if module == 'uri':
        return 'dest' in args
    if module in COMMANDS:
        return not _literal_false(task.get('changed_when'))
    return False


def _on_controller(task, inherited):
    """True/False for the task's own delegation, else ``inherited``."""
    if 'delegate_to' in task:
        target = task['delegate_to']
        return isinstance(target, str) and target.strip() in CONTROLLER
    if str(task.get('connection', '')).strip() == 'local':
        return True
    return inherited


def _documented(lines, start, end, name, children):
    """'cache' or 'controller-file' when the task's own lines say so (its children's lines do not count)."""
    own = [i for i in range(start, end) if i not in children]
    comments = [m.group(1) for m in (COMMENT.search(lines[i]) for i in own) if m]
    if any(CONTROLLER_FILE.search('#' + text) for text in comments):
        return 'controller-file'
    if any(CACHE.search(text) for text in comments) or CACHE.search(name or ''):
        return 'cache'
    return ''


class Scanner:
    """Walks playbooks/ and roles/ from ``root`` and collects Findings (deduplicated by file and line)."""

    def __init__(self, root=ROOT):
        self.root = root
        self.findings = {}
        self._seen = set()
        self._texts = {}

    # -- files ------------------------------------------------------------------------------------------
    def _load(self, path):
        if path not in self._texts:
            with open(path) as handle:
                text = handle.read()
            self._texts[path] = (text.splitlines(), yaml.compose(text))
        return self._texts[path]

    def _rel(self, path):
        return os.path.relpath(path, self.root)

    def _role_dir(self, name):
        name = str(name)
        short = name.rsplit('.', maxsplit=1)[-1] if name.startswith('homelab.cluster.') else name
        path = os.path.join(self.root, 'roles', short)
        return path if os.path.isdir(path) else None

    # -- walking ----------------------------------------------------------------------------------------
    def scan(self):
        playbooks = os.path.join(self.root, 'playbooks')
        for dirpath, _dirs, files in sorted(os.walk(playbooks)):
            for name in sorted(files):
                if not name.endswith(('.yml', '.yaml')):
                    continue
                path = os.path.join(dirpath, name)
                if dirpath == playbooks:
                    self.playbook(path)
                else:
                    self.task_file(path, False)
        roles = os.path.join(self.root, 'roles')
        for role in sorted(os.listdir(roles)) if os.path.isdir(roles) else []:
            for sub in ('tasks', 'handlers'):
                folder = os.path.join(roles, role, sub)
                for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                    if name.endswith(('.yml', '.yaml')):
                        self.task_file(os.path.join(folder, name), False)
        return sorted(self.findings.values(), key=Finding.key)

    def playbook(self, path):
        lines, node = self._load(path)
        if not isinstance(node, yaml.SequenceNode):
            return
        for play_node in node.value:
            play = yaml.safe_load(yaml.serialize(play_node)) if play_node is not None else None
            if not isinstance(play, dict) or 'import_playbook' in play:
                continue
            hosts = play.get('hosts')
            local = (isinstance(hosts, str) and hosts.strip() in CONTROLLER) or play.get('connection') == 'local'
            for pair in play_node.value:
                key = pair[0].value
                if key in ('pre_tasks', 'tasks', 'post_tasks', 'handlers'):
                    self._tasks(path, lines, pair[1], local, os.path.dirname(path))
                elif key == 'roles':
                    for entry in play.get('roles') or []:
                        name = entry.get('role', entry.get('name')) if isinstance(entry, dict) else entry
                        self.role(name, local)

    def task_file(self, path, local):
        if (path, local) in self._seen or not os.path.isfile(path):
            return
        self._seen.add((path, local))
        lines, node = self._load(path)
        self._tasks(path, lines, node, local, os.path.dirname(path))

    def role(self, name, local):
        folder = self._role_dir(name)
        if folder:
            for sub in ('tasks', 'handlers'):
                self.task_file(os.path.join(folder, sub, 'main.yml'), local)

    def _tasks(self, path, lines, node, local, base):
        if not isinstance(node, yaml.SequenceNode):
            return
        for task_node in node.value:
            if isinstance(task_node, yaml.MappingNode):
                self._task(path, lines, task_node, local, base)

    def _task(self, path, lines, node, inherited, base):
        task = yaml.safe_load(yaml.serialize(node))
        local = _on_controller(task, inherited)
        children = set()
        for pair in node.value:
            if pair[0].value in ('block', 'rescue', 'always'):
                sub = pair[1]
                children.update(range(sub.start_mark.line, sub.end_mark.line + 1))
                self._tasks(path, lines, sub, local, base)
        if 'block' in task:
            return
        module, args, local_action = _module(task)
        local = local or local_action
        if module in INCLUDES:
            target = args.get('file', args.get('_raw'))
            if isinstance(target, str) and '{{' not in target:
                self.task_file(os.path.normpath(os.path.join(base, target)), local)
            return
        if module in ROLE_INCLUDES:
            role = args.get('name')
            if role and '{{' not in str(role):
                self.role(role, local)
            return
        if not _writes(module, args, task):
            return
        if module == 'fetch':
            why = 'fetch writes its dest on the controller'
        elif local:
            why = 'runs on the controller'
        else:
            return
        start, end = node.start_mark.line, node.end_mark.line
        # the comment on the line before the task belongs to it too ("# cache: ..." above "- name:")
        if start > 0 and lines[start - 1].strip().startswith('#'):
            start -= 1
        finding = Finding(self._rel(path), node.start_mark.line + 1, task.get('name', ''), module, why,
                          _documented(lines, start, end, task.get('name'), children))
        self.findings.setdefault(finding.key(), finding)


def scan(root=ROOT):
    return Scanner(root).scan()


def main():
    findings = scan()
    for finding in findings:
        print(finding)
    bad = [f for f in findings if not f.documented]
    print('%d controller writes, %d not documented' % (len(findings), len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
