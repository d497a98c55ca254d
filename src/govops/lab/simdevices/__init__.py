"""Simulated Huawei VRP (V8 and V5) and H3C Comware 7 devices, served over SSH (issue 14).

In the spirit of Cisco NSO's netsim: one asyncssh process serves every VRP/Comware node of an
estate, each on its own address and port, faithfully enough that Netmiko's own, unmodified
`huawei_vrpv8`, `huawei` and `hp_comware` drivers log in and drive them. Their `display`
outputs follow the real layouts, and the protocol state in them is computed from the configs
of the whole simulated estate (ADR 0020).

Modules, one job each:

| module | job |
|---|---|
| `tree` | a config as a tree of lines: parse `display current-configuration`, print it, set and undo |
| `grammar` | what each CLI flavour knows: views, keywords, commands that replace a value |
| `device` | one device: running config, candidates, commits, trial timer, flash, faults |
| `protocols` | OSPF/OSPFv3/BGP/BFD/routes of every device, computed from all configs |
| `displays` | `display …` outputs in each vendor's layout |
| `cli` | one login session: prompts, views, paging, confirmation prompts |
| `server` | the asyncssh server: one listener per device |
| `spec` | which devices a simulator serves, where, with which seed config (JSON) |
| `lab` | start, status and stop of the simulator process for `govops lab up --simulated` |
"""
