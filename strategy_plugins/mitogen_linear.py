"""Ansible's linear strategy run through Mitogen (the pinned `mitogen` package, requirements.txt).

Mitogen keeps one SSH connection and one Python interpreter per host for the whole run and
sends modules to it, instead of starting a new interpreter and unpacking the module for every
task: a no-op site.yml went from ~100 s to ~40 s on the lab (bench/converge.py). It still
reaches hosts over plain SSH, with the inventory's user, key and host key checks.
`ANSIBLE_STRATEGY=linear` runs without it (SSH with pipelining and ControlPersist).

This file only loads Mitogen's strategy under its own module name, so Ansible's plugin loader
finds it here (strategy_plugins in ansible.cfg) wherever the virtual environment lives.
"""

from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule

__all__ = ["StrategyModule"]
