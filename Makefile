# homelab.cluster -- the two commands that matter: `make lab` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTION_LINK := .build/collections/ansible_collections/homelab/cluster
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
export PATH := $(CURDIR)/$(BIN):$(PATH)
# podman reads this instead of /etc/containers/containers.conf (runc + cgroupfs; see lab/containers.conf)
export CONTAINERS_CONF := $(CURDIR)/lab/containers.conf
LAB_INVENTORY := inventory/lab

.PHONY: help venv test units mutate golden playbooks sanity lint molecule report rules status-page truenas opnsense gpu-resolve runner ee ee-image test-cores bench bench-power bench-wake bench-slurm bench-harvester clean lab lab-up lab-down lab-prereqs lab-images drills

help:
	@echo "make lab      - the simulated homelab: install podman & co, build images, start it, run playbooks/site.yml"
	@echo "make lab-down - remove the lab's containers, networks and generated files (images stay cached)"
	@echo "make drill-NAME - a drill on the running lab: power-spike, ups-battery, partition, wake-storm (make drills: all)"
	@echo "make test    - create .venv from pinned requirements, then units, golden inventories, sanity, lint"
	@echo "make units   - pytest unit tests"
	@echo "make mutate  - plant each deliberate bug of tests/mutation/mutants.py in a scratch copy; the units must catch all"
	@echo "make golden  - ansible-inventory --list of every case compared to committed JSON"
	@echo "make playbooks - vram_plan.yml, gpu_check.yml and place.yml run on this machine (loopback only)"
	@echo "make sanity  - ansible-test sanity on a copy laid out as ansible_collections/homelab/cluster"
	@echo "make lint    - ruff and ansible-lint (production profile)"
	@echo "make rules   - promtool check/test of the alert rules, promtool/amtool check of the rendered configs"
	@echo "make status-page - the house status page rendered from recorded data, checked in headless Chromium"
	@echo "make truenas - the nas role against the TrueNAS API double (lab/doubles/truenas.py) on loopback"
	@echo "make opnsense - the seed's network applied to the OPNsense API double (check mode, twice, bad input, lockout)"
	@echo "make runner  - the power guard as AWX runs it: ansible-runner jobs in fresh private data dirs (lab containers)"
	@echo "make ee      - the AWX execution environment's build context (ansible-builder create) into .build/ee, checked"
	@echo "make ee-image - build the execution environment image (pulls its base image from quay.io)"
	@echo "make test-cores - units and golden inventories on ansible-core 2.17 to 2.21 (CORES_SANITY=1: sanity too)"
	@echo "make gpu-resolve - gpu_stack's package selection resolved by apt on Debian 12 and 13 (lab containers)"
	@echo "make bench   - benchmarks under bench/ (not part of make test)"
	@echo "make bench-power - one power guard reading at 200 hosts with 10 % dead or hanging plugs"
	@echo "make bench-wake - wake latency in the running lab (after make lab)"
	@echo "make bench-slurm - sbatch to job start on a sleeping Slurm node (molecule/slurm's cluster)"
	@echo "make bench-harvester - the harvest worker against curl on the same link, and its peak memory for 1 GB"

$(STAMP): requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) is missing; install python3 and python3-venv" >&2; exit 1; }
	@if [ ! -x $(BIN)/python ]; then \
	  $(PYTHON) -m venv $(VENV) || { echo "make: cannot create $(VENV); on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }; fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn ../../../.. $@

# An installed build of this collection in ~/.ansible/collections (molecule's prerun used to put one there) is
# found before the checkout and hides every module added since: take it away, the checkout is the collection.
STALE_INSTALL := $(HOME)/.ansible/collections/ansible_collections/homelab/cluster

venv: $(STAMP) $(COLLECTION_LINK)
	@if [ -f "$(STALE_INSTALL)/MANIFEST.json" ] && [ ! -L "$(STALE_INSTALL)" ]; then \
		echo "removing $(STALE_INSTALL): an installed copy of this collection that shadows the checkout"; \
		rm -rf "$(STALE_INSTALL)"; fi

# cores-2.21: the newest core (what an execution environment built today carries); make test-cores runs them all
test: venv units mutate golden playbooks sanity lint report rules status-page truenas opnsense gpu-resolve ee runner cores-2.21 molecule
	@echo "make test: all passed"

units: venv
	$(BIN)/python -m pytest -q tests/unit

mutate: venv
	$(BIN)/python tests/mutation/run.py

golden: venv
	tests/integration/targets/inventory_tiers/runme.sh

playbooks: venv
	tests/integration/targets/playbooks/runme.sh

sanity: venv
	tests/sanity/run.sh

lint: venv
	$(BIN)/ruff check plugins tests bench lab roles
	$(BIN)/ansible-lint --profile production

report: venv lab-prereqs
	tests/integration/targets/power_report/runme.sh
	tests/integration/targets/harvest_view/runme.sh

rules: venv
	tests/integration/targets/monitoring_rules/runme.sh

status-page: venv lab-prereqs
	tests/integration/targets/status_page/runme.sh

truenas: venv
	tests/integration/targets/truenas/runme.sh

opnsense: venv
	tests/integration/targets/opnsense/runme.sh
runner: venv lab-images
	tests/integration/targets/runner/runme.sh

ee: venv
	tests/integration/targets/execution_environment/runme.sh

ee-image: ee
	$(BIN)/ansible-builder build -f execution-environment.yml -c .build/ee/context -t homelab-ee:$$(sed -n 's/^version: //p' galaxy.yml)

test-cores: venv
	$(BIN)/python tests/cores/run.py

cores-%: venv
	$(BIN)/python tests/cores/run.py $*

# gpu_stack's package selection resolved by apt against the real Debian 12 and 13 archives (lab containers)
gpu-resolve: venv lab-prereqs
	tests/integration/targets/gpu_stack_resolve/runme.sh

molecule: venv lab-images
	tests/molecule/run.sh

lab-prereqs:
	lab/prereqs.sh

lab-images: lab-prereqs venv
	$(BIN)/python lab/lab.py images

lab-up: lab-prereqs venv
	$(BIN)/python lab/lab.py up  # builds the images first when their recipe changed

lab: lab-up
	$(BIN)/ansible-playbook -i $(LAB_INVENTORY) lab/power.yml
	$(BIN)/ansible-playbook -i $(LAB_INVENTORY) playbooks/site.yml
	$(BIN)/python lab/lab.py check
	$(BIN)/python lab/lab.py summary

# the drills on the running lab (lab/drills.py): make drill-power-spike, drill-ups-battery, drill-partition,
# drill-wake-storm; make drills runs them all
DRILLS := power-spike ups-battery partition wake-storm
drill-%: venv
	$(BIN)/python lab/lab.py drill $*

drills: venv
	$(BIN)/python lab/lab.py drill $(DRILLS)

lab-down:
	@command -v podman >/dev/null || { echo "make: no podman, nothing to remove"; exit 0; }; \
	python3 lab/lab.py down

bench: venv
	$(BIN)/python bench/inventory_scale.py
	$(BIN)/python bench/proxmox_inventory.py

bench-power: venv
	$(BIN)/python bench/power_guard_scale.py

bench-wake: venv
	$(BIN)/python bench/wake_latency.py

bench-slurm: venv lab-images
	bench/slurm_cluster.sh $(BIN)/python bench/slurm_wake.py

bench-harvester: venv
	@command -v curl >/dev/null || { echo "make: bench-harvester compares against curl; apt-get install curl" >&2; exit 2; }
	$(BIN)/python bench/harvester.py

clean:
	rm -rf .build .pytest_cache .ruff_cache tests/output
