#!/usr/bin/python
"""Ansible module: push one device's intended extranet config with the govops rollout code.

Same steps as `govops net push` (backup, remediation, apply, verify, restore on failure) and
the same journal, so `govops net resume/rollback ID` work on Ansible-driven rollouts too.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: govops_net_push
short_description: push a device's intended config (govops render + hier_config remediation)
options:
  estate: {description: estate folder, required: true, type: path}
  device: {description: device name (inventory_hostname), required: true, type: str}
  rollout_id: {description: journal id shared by every host of the play, required: true, type: str}
  scope: {description: all devices of this rollout (ansible_play_hosts_all), type: list, elements: str}
  verify_timeout: {description: seconds to wait for neighbours and routes, type: int, default: 90}
supports_check_mode: true
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402 - after the docs, as Ansible expects


def main() -> None:
    """Run the push for one device and report changed/failed with the remediation lines."""
    module = AnsibleModule(
        argument_spec={
            "estate": {"type": "path", "required": True},
            "device": {"type": "str", "required": True},
            "rollout_id": {"type": "str", "required": True},
            "scope": {"type": "list", "elements": "str", "default": []},
            "verify_timeout": {"type": "int", "default": 90},
        },
        supports_check_mode=True,
    )
    from pathlib import Path

    from govops.errors import GovopsError
    from govops.network.pushing import push_one

    p = module.params
    try:
        summary, before, after = push_one(Path(p["estate"]), p["device"], p["rollout_id"],
                                          p["scope"] or [p["device"]], module.check_mode,
                                          p["verify_timeout"])
    except GovopsError as exc:
        module.fail_json(msg=str(exc))
    result = summary.results[0]
    changed = result.status in ("changed", "would-change")
    diff = {"before": before, "after": after, "before_header": f"{p['device']} running",
            "after_header": f"{p['device']} intended"} if changed else {}
    if result.status == "failed":
        module.fail_json(msg=result.error, changes=result.changes, restored=result.restored,
                         rollout_id=p["rollout_id"])
    module.exit_json(changed=changed, changes=result.changes, status=result.status,
                     rollout_id=p["rollout_id"], diff=diff)


if __name__ == "__main__":
    main()
