"""Data-centre hosts: MLPS baseline controls, compliance check over SSH, inventory view.

The Ansible roles (`playbooks/roles/baseline`, `playbooks/roles/node_exporter`) configure the
hosts; `govops.hosts.controls` says what a compliant host looks like per MLPS level, and both
the Molecule verifier and `govops hosts check` evaluate those same controls.
"""
