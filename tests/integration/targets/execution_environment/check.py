"""The execution environment's build context (issue 22): `ansible-builder create` from execution-environment.yml,
then every part of the build that does not need the base image, done here the way the image build does it.

    1. the collection tarball is built (ansible-galaxy collection build) and ships requirements.txt, bindep.txt and
       meta/execution-environment.yml (build_ignore must not drop them);
    2. ansible-builder create writes the context: the Containerfile (base, galaxy, builder and final stages, the
       pinned ansible-core and ansible-runner, our ENV lines), _build/requirements.yml and the tarball in it;
    3. the galaxy stage: the tarball is installed from _build/requirements.yml's file entry, offline, and the other
       collections it lists are taken from the pinned `ansible` package (no Galaxy here), checked against the
       version ranges the requirements give;
    4. the builder stage: the context's own introspect.py reads the installed collections (as the image build runs
       it) and must collect our Python and system requirements; each Python requirement is satisfied by the version
       requirements-dev.txt pins and the tests use;
    5. the final stage's bindep: our bindep.txt resolves to age, gnupg2 and openssh-clients on Fedora (the base image),
       to gnupg2 and openssh-clients plus age from EPEL on CentOS Stream / RHEL, and to the Debian names on Debian.
What it cannot do here: pull quay.io/fedora/fedora:42 and run the stages (no registry but PyPI, Debian and npm).

    python check.py ROOT OUT
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile

import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement
from packaging.version import Version

ROOT, OUT = (os.path.abspath(p) for p in sys.argv[1:3])
BIN = os.path.dirname(sys.executable)
FAILED = []


def check(ok, what, detail=''):
    print('%s %s%s' % ('PASS' if ok else 'FAIL', what, '' if ok else ': %s' % detail))
    if not ok:
        FAILED.append(what)


def _bytes(path):
    with open(path, 'rb') as handle:
        return handle.read()


def run(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with open(os.path.join(ROOT, 'execution-environment.yml')) as handle:
        definition = yaml.safe_load(handle)
    with open(os.path.join(ROOT, 'galaxy.yml')) as handle:
        galaxy = yaml.safe_load(handle)

    # 1. the tarball, where execution-environment.yml's additional_build_files expects it
    dist = os.path.join(OUT, 'dist')
    run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', dist, ROOT)
    built = os.path.join(dist, 'homelab-cluster-%s.tar.gz' % galaxy['version'])
    (source,) = [f['src'] for f in definition['additional_build_files'] if f['src'].endswith('.tar.gz')]
    shutil.copy(built, os.path.join(ROOT, source))
    with tarfile.open(built) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile('MANIFEST.json'))['collection_info']
    check({'requirements.txt', 'bindep.txt', 'meta/execution-environment.yml'} <= names,
          'the tarball ships requirements.txt, bindep.txt and meta/execution-environment.yml',
          sorted(n for n in names if n.endswith(('.txt', 'execution-environment.yml'))))
    check((manifest['namespace'], manifest['name'], manifest['version'])
          == ('homelab', 'cluster', galaxy['version']), 'the tarball is homelab.cluster %s' % galaxy['version'])

    # 2. ansible-builder create
    context = os.path.join(OUT, 'context')
    created = subprocess.run([os.path.join(BIN, 'ansible-builder'), 'create', '-f',
                              os.path.join(ROOT, 'execution-environment.yml'), '-c', context],
                             capture_output=True, text=True, check=False)
    check(created.returncode == 0, 'ansible-builder create', created.stdout + created.stderr)
    if created.returncode:
        return
    with open(os.path.join(context, 'Containerfile')) as handle:
        containerfile = handle.read()
    base = definition['images']['base_image']['name']
    pins = '%s %s' % (definition['dependencies']['ansible_core']['package_pip'],
                      definition['dependencies']['ansible_runner']['package_pip'])
    for what, needle in [
        ('the base image', 'ARG EE_BASE_IMAGE="%s"' % base),
        ('ansible-core and ansible-runner pinned', 'ARG ANSIBLE_INSTALL_REFS="%s"' % pins),
        ('a galaxy stage that installs requirements.yml', 'ansible-galaxy collection install '
         '$ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml'),
        ('a builder stage that introspects the collections', '/output/scripts/introspect.py introspect'),
        ('the final stage installs the system packages', 'RUN /output/scripts/install-from-bindep'),
        ('the tiers plugin enabled in the image', 'ENV ANSIBLE_INVENTORY_ENABLED=homelab.cluster.tiers,auto'),
        ('the final stage checks ansible', 'RUN /output/scripts/check_ansible $PYCMD'),
    ]:
        check(needle in containerfile, 'Containerfile: %s' % what, needle)
    stages = [line.split()[-1] for line in containerfile.splitlines() if line.startswith('FROM ')]
    check(stages == ['base', 'galaxy', 'builder', 'final'], 'Containerfile: four stages', stages)
    build = os.path.join(context, '_build')
    scripts = {'assemble', 'check_ansible', 'check_galaxy', 'entrypoint', 'install-from-bindep', 'introspect.py',
               'pip_install'}
    check(scripts <= set(os.listdir(os.path.join(build, 'scripts'))), 'the build scripts are in the context')
    with open(os.path.join(build, 'requirements.yml')) as handle:
        requirements = yaml.safe_load(handle)
    check(requirements == definition['dependencies']['galaxy'], '_build/requirements.yml is the galaxy section')
    (entry,) = [c for c in requirements['collections'] if c.get('type') == 'file']
    tarball = os.path.join(build, entry['name'])
    check(os.path.isfile(tarball) and _bytes(tarball) == _bytes(built),
          'the collection tarball is in the context where requirements.yml names it', tarball)

    # 3. the galaxy stage: our tarball installed from the context; the others from the pinned ansible package
    collections = os.path.join(OUT, 'usr-share-ansible', 'collections')
    run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', '--force', '-p', collections,
        entry['name'], cwd=build)
    import ansible_collections  # the ansible package's collections (requirements-dev.txt pins ansible)
    shipped = [p for p in ansible_collections.__path__ if 'site-packages' in p][0]
    for wanted in requirements['collections']:
        if wanted.get('type') == 'file':
            continue
        namespace, name = wanted['name'].split('.')
        src = os.path.join(shipped, namespace, name)
        with open(os.path.join(src, 'MANIFEST.json')) as handle:
            version = json.load(handle)['collection_info']['version']
        spec = wanted.get('version', '*')
        ok = spec == '*' or Version(version) in Requirement('x' + spec.replace(' ', '')).specifier
        check(ok, '%s %s (what the tests use) is within %s' % (wanted['name'], version, spec))
        os.makedirs(os.path.join(collections, 'ansible_collections', namespace), exist_ok=True)
        os.symlink(src, os.path.join(collections, 'ansible_collections', namespace, name))
    check(os.path.isfile(os.path.join(collections, 'ansible_collections', 'homelab', 'cluster', 'MANIFEST.json')),
          'the galaxy stage installs homelab.cluster from the context')

    # 4. the builder stage's introspection, with the context's own script
    pip_out, bindep_out = os.path.join(OUT, 'src-requirements.txt'), os.path.join(OUT, 'src-bindep.txt')
    seen = run(sys.executable, os.path.join(build, 'scripts', 'introspect.py'), 'introspect',
               '--write-pip=%s' % pip_out, '--write-bindep=%s' % bindep_out, collections).stdout
    with open(pip_out) as handle:
        pip_lines = handle.read().splitlines()
    with open(bindep_out) as handle:
        bindep_lines = handle.read().splitlines()
    ours = [line for line in pip_lines if line.endswith('# from collection homelab.cluster')]
    names = sorted(Requirement(line.split('#')[0]).name for line in ours)
    check(names == ['proxmoxer', 'requests', 'wakeonlan', 'websocket-client'],
          'introspection collects our Python requirements', seen)
    check(any(line.startswith('proxmoxer') and 'community.proxmox' in line for line in pip_lines),
          "introspection collects community.proxmox's too")
    check(any(line.startswith('age [platform:fedora platform:dpkg]') for line in bindep_lines)
          and any(line.startswith('gnupg2 [platform:rpm]') for line in bindep_lines),
          'introspection collects our system requirements', bindep_lines)
    dev = {}
    with open(os.path.join(ROOT, 'requirements-dev.txt')) as handle:
        for line in handle:
            line = line.split('#')[0].strip()
            if '==' in line:
                name, version = line.split('==')
                dev[Requirement(name).name.lower()] = version
    installed = {line.split()[0].lower(): line.split()[1]
                 for line in run(sys.executable, '-m', 'pip', 'list', '--format=freeze').stdout.replace('==', ' ')
                 .splitlines()}
    for line in ours:
        req = Requirement(line.split('#')[0])
        version = dev.get(req.name.lower()) or installed.get(req.name.lower())
        check(version is not None and Version(version) in req.specifier,
              '%s: the tested %s satisfies the declared %s' % (req.name, version, req.specifier or 'any'))

    # 5. the final stage's bindep, per platform
    depends = Depends('\n'.join(bindep_lines) + '\n')  # as assemble hands it to bindep, comments and all
    platforms = {
        'fedora (the base image)': (['platform:rpm', 'platform:redhat', 'platform:fedora'],
                                    {'age', 'gnupg2', 'openssh-clients'}),
        'centos stream': (['platform:rpm', 'platform:redhat', 'platform:centos'], {'gnupg2', 'openssh-clients'}),
        # (age is not in CentOS Stream's own repositories: without EPEL it must not be asked for)
        'centos stream with epel': (['platform:rpm', 'platform:redhat', 'platform:centos', 'epel'],
                                    {'age', 'gnupg2', 'openssh-clients'}),
        'debian': (['platform:dpkg', 'platform:debian'], {'age', 'gnupg', 'openssh-client'}),
    }
    for label, (profiles, wanted) in platforms.items():
        got = {rule[0] for rule in depends.active_rules(profiles)}
        check(wanted <= got and ('age' in got) == ('age' in wanted),
              'bindep on %s: %s' % (label, ', '.join(sorted(wanted))), sorted(got))


if __name__ == '__main__':
    main()
    print('execution environment: %s' % ('%d checks failed: %s' % (len(FAILED), '; '.join(FAILED)) if FAILED
                                         else 'the build context is complete'))
    sys.exit(1 if FAILED else 0)
