"""Two-person change approval (issue 18, ADR 0018).

- `store.py`: change requests, approvals and runs as signed JSON files.
- `gate.py`: what `net push --change` / `cloud up|destroy --change` check before they touch
  anything; `require_change` refuses a production push that has no change.
- `commands.py`: `govops change request | approve | list | show`.
"""
