"""Ansible inventory plugin: the govops estate as an inventory.

Groups: ``extranet`` (managed network devices, top-down: province, egress, DC, city, county,
town), ``level_<level>``, ``city_<city>``, ``county_<county>``, ``platform_<platform>``,
``plane_<plane>``, ``site_<site>``. Host vars: the node's view (``govops_*``: loopbacks,
management address, interfaces, area), ``ansible_host`` = management address.

Data-centre hosts (``hosts:`` of the estate) are in ``hosts``, ``site_<site>``, ``role_<role>``
and ``mlps_<level>``, with ``govops_mlps``, ``govops_role``, ``govops_site``, the estate's NTP
and syslog servers and ``ansible_host`` = the host's management IPv4 (``GOVOPS_HOST_ADDRESSES``,
``NAME=IP,...``, points hosts elsewhere, e.g. at test hosts). ``site_<site>`` holds both the
site's network nodes and its hosts: intersect with ``hosts`` or ``extranet`` when targeting.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = r"""
name: govops_estate
short_description: the govops estate (inventories/<estate>/) as an Ansible inventory
description: Reads and validates the estate with govops; every network node becomes a host.
options:
  plugin:
    description: must be govops_estate
    required: true
    choices: [govops_estate]
  estate:
    description: estate folder, relative to this file (default the file's own folder)
    required: false
    default: "."
"""


def _group(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


class InventoryModule(BaseInventoryPlugin):
    """Hosts and groups from a govops estate."""

    NAME = "govops_estate"

    def verify_file(self, path: str) -> bool:
        """Accept YAML files that name this plugin."""
        return super().verify_file(path) and path.endswith((".yml", ".yaml"))

    def parse(self, inventory, loader, path, cache=True):
        """Load the estate and add hosts and groups."""
        super().parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        estate_dir = os.path.normpath(os.path.join(os.path.dirname(path),
                                                   config.get("estate") or "."))
        try:
            from govops.errors import GovopsError
            from govops.estate.loader import load_estate
            from govops.estate.views import node_view
            from govops.hosts.inventory import env_addresses, host_groups, host_vars
            from govops.network.rollout import order_devices
        except ImportError as exc:
            raise AnsibleParserError(f"govops is not importable ({exc}): run ansible-playbook "
                                     "from the project venv (.venv/bin/ansible-playbook)") from exc
        try:
            estate = load_estate(estate_dir)
        except GovopsError as exc:
            raise AnsibleParserError(f"estate {estate_dir} is invalid:\n{exc}") from exc
        self.inventory.add_group("extranet")
        ordered = order_devices(estate, list(estate.nodes))
        for name in ordered + [n for n in estate.nodes if n not in ordered]:
            node = estate.nodes[name]
            view = node_view(estate, name)
            self.inventory.add_host(name)
            if node.managed:
                self.inventory.add_host(name, group="extranet")
            groups = [f"level_{node.level}", f"platform_{node.platform}"]
            groups += [f"plane_{p}" for p in view.planes]  # every plane it carries
            groups += [f"city_{node.city}"] if node.city else []
            groups += [f"county_{node.county}"] if node.county else []
            groups += [f"site_{node.site}"] if node.site else []
            for group in groups:
                self.inventory.add_group(_group(group))
                self.inventory.add_host(name, group=_group(group))
            data = view.to_dict()
            self.inventory.set_variable(name, "ansible_host", view.mgmt_ipv4.split("/")[0])
            self.inventory.set_variable(name, "govops_estate", estate_dir)
            for key, value in data.items():
                self.inventory.set_variable(name, f"govops_{key}", value)
        self._add_hosts(estate, env_addresses, host_groups, host_vars, GovopsError)

    def _add_hosts(self, estate, env_addresses, host_groups, host_vars, error_type) -> None:
        """The data-centre hosts: group ``hosts`` plus site, role and MLPS-level groups."""
        self.inventory.add_group("hosts")
        try:
            overrides = env_addresses()
            for name in estate.hosts:
                self.inventory.add_host(name)
                for group in host_groups(estate, name):
                    self.inventory.add_group(_group(group))
                    self.inventory.add_host(name, group=_group(group))
                for key, value in host_vars(estate, name, overrides).items():
                    self.inventory.set_variable(name, key, value)
        except error_type as exc:
            raise AnsibleParserError(f"estate {estate.directory}: {exc}") from exc
