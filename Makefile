# The two commands: `make lab` (bring up the platform) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export ANSIBLE_FORCE_COLOR ?= 0

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## Install Debian packages and the pinned toolchain in .venv/
	scripts/setup.sh

image: setup  ## Build the lab images, Debian 12 and 13 (only when their recipe changed)
	scripts/build-image.sh 12
	scripts/build-image.sh 13

lab:  ## Bring up the whole platform on a local podman lab and print how to reach it
	scripts/lab-up.sh

lab-multi:  ## The same with one container per tier (inventories/lab-multi, PostgreSQL accounts)
	VMAIL_LAB=multi scripts/lab-up.sh

lab-down:  ## Remove the lab containers and networks
	scripts/lab-down.sh

test: setup image  ## Run every test: yamllint, ansible-lint, pytest, Molecule scenarios
	scripts/test.sh

bench: setup  ## Run the benchmarks (figures under bench/results/)
	scripts/bench.sh

clean: lab-down  ## Remove the lab, lab secrets and the venv
	rm -rf .venv .stamps .secrets inventories/lab/credentials inventories/lab-multi/credentials inventories/lab/group_vars/all/vault.yml

.PHONY: help setup image lab lab-multi lab-down test bench clean
