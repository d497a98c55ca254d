"""govops-cloud: the Pulumi program of one cloud of the 1+N+M government cloud.

Stack name = cloud name. The stack spec (JSON of `govops.cloud.args.StackSpec`: the cloud,
every cloud — DR copies live on other clouds — and every tenant) comes from the file named
by config `govops:spec`, default `specs/<stack>.json`. Guardrails run first: a violation
stops the program before any resource is registered. Clouds other than this stack's own are
reached through an `openstack.Provider` per cloud using its `os_cloud` entry of clouds.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi

from govops.cloud.args import StackSpec
from govops.cloud.guardrails import enforce
from govops.cloud.program import build_stack

config = pulumi.Config("govops")
spec_path = Path(config.get("spec") or f"specs/{pulumi.get_stack()}.json")
spec = StackSpec.from_dict(json.loads(spec_path.read_text(encoding="utf-8")))
if spec.cloud != pulumi.get_stack():
    raise ValueError(f"{spec_path}: spec for cloud {spec.cloud}, stack is {pulumi.get_stack()}")
enforce(spec.clouds, spec.tenants)
for _ in build_stack(spec):
    pass
