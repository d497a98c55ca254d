"""The MLPS host baseline as checkable controls: one source of truth for the Molecule verifier and
`govops hosts check`.

Each control names the GB/T 22239-2019 clause it gives evidence for (level 2 = chapter 7, level 3
= chapter 8; ``x.1.4`` is the computing environment, ``8.1.5.4`` centralised control), the probe
(a shell command run on the host), how to read the observed value from the probe's output and
what is expected at each level. Evaluation is pure: `evaluate(control, level, outputs, context)`
turns recorded probe output into a result, so it is unit-tested without hosts.

Controls marked ``kernel`` read the running kernel (loaded audit rules, sysctl values): a container
shares the machine's kernel and may not change it, so there they are reported ``n/a`` and the
persisted configuration is checked by the companion control instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from govops.i18n import N_

LEVELS = (2, 3)
"""MLPS levels with a baseline. Hosts at other levels are refused (exit 2), never passed."""

PASS, FAIL, NA = "pass", "fail", "n/a"

# --- what each level requires (the role's defaults must satisfy these; tests/hosts check it) ---

SSH_CIPHERS = {
    2: ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
        "aes256-ctr", "aes192-ctr", "aes128-ctr"],
    3: ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"],
}
SSH_MACS = {
    2: ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com",
        "hmac-sha2-512", "hmac-sha2-256"],
    3: ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"],
}
SSH_KEX = {
    2: ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
        "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
        "diffie-hellman-group-exchange-sha256", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521"],
    3: ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
        "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512"],
}
SYSCTL_COMMON = {
    "net.ipv4.conf.all.accept_redirects": "0",
    "net.ipv4.conf.default.accept_redirects": "0",
    "net.ipv4.conf.all.secure_redirects": "0",
    "net.ipv4.conf.default.secure_redirects": "0",
    "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.default.send_redirects": "0",
    "net.ipv4.conf.all.accept_source_route": "0",
    "net.ipv4.conf.default.accept_source_route": "0",
    "net.ipv4.conf.all.log_martians": "1",
    "net.ipv4.conf.all.rp_filter": "2",
    "net.ipv4.icmp_echo_ignore_broadcasts": "1",
    "net.ipv4.icmp_ignore_bogus_error_responses": "1",
    "net.ipv4.tcp_syncookies": "1",
    "net.ipv6.conf.all.accept_redirects": "0",
    "net.ipv6.conf.default.accept_redirects": "0",
    "net.ipv6.conf.all.accept_source_route": "0",
    "kernel.kptr_restrict": "2",
    "kernel.dmesg_restrict": "1",
    "kernel.randomize_va_space": "2",
    "fs.protected_hardlinks": "1",
    "fs.protected_symlinks": "1",
    "fs.suid_dumpable": "0",
}
SYSCTL = {
    2: dict(SYSCTL_COMMON),
    3: {**SYSCTL_COMMON, "kernel.yama.ptrace_scope": "1", "kernel.unprivileged_bpf_disabled": "1",
        "net.core.bpf_jit_harden": "2"},
}
INSECURE_PACKAGES = [
    "telnetd", "inetutils-telnetd", "telnetd-ssl", "rsh-server", "rsh-redone-server", "rsh-client",
    "rsh-redone-client", "talkd", "inetutils-talkd", "tftpd", "tftpd-hpa", "atftpd", "nis", "xinetd",
    "openbsd-inetd", "inetutils-inetd", "inetutils-ftpd", "ftpd",
]
INSECURE_PORTS = {"tcp": [21, 23, 512, 513, 514], "udp": [69, 517, 518]}
"""ftp, telnet, rexec, rlogin, rsh; tftp, talk, ntalk. (514/udp is syslog, not listed.)"""
AUDIT_KEYS = ["identity", "privilege", "sshd", "pam", "logins", "session", "time-change",
              "system-locale", "modules", "audit-config", "privileged-exec"]
NODE_EXPORTER_PORT = 9100


# --- probes: commands run on the host, once per host; controls read their output ---

PROBES: dict[str, str] = {
    "container": "if [ -e /run/.containerenv ] || [ -e /.dockerenv ]; then echo yes; else echo no; fi",
    "sshd": "/usr/sbin/sshd -T",
    "pam": "grep -H -v '^#' /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password",
    "pwquality": "cat /etc/security/pwquality.conf /etc/security/pwquality.conf.d/*.conf 2>/dev/null; true",
    "faillock": "cat /etc/security/faillock.conf",
    "login_defs": "cat /etc/login.defs",
    "tmout": "bash -lc 'echo \"${TMOUT:-unset}\"' </dev/null",
    "chrony": "chronyc -n -c sources",
    "rsyslog": "cat /etc/rsyslog.conf /etc/rsyslog.d/*.conf 2>/dev/null; true",
    "procs": "ps -eo comm=",
    "packages": "dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n'",
    "audit_rules": "cat /etc/audit/rules.d/*.rules 2>/dev/null; true",
    "audit_plugin": "cat /etc/audit/plugins.d/syslog.conf 2>/dev/null; true",
    "auditctl": "auditctl -s && auditctl -l",
    "sysctl_files": "cat /usr/lib/sysctl.d/*.conf /etc/sysctl.d/*.conf /etc/sysctl.conf 2>/dev/null; true",
    "sysctl_now": "sysctl -e " + " ".join(sorted(SYSCTL[3])),
    "listen": "ss -H -l -n -t -u",
    "metrics": ("python3 -c 'import urllib.request,sys;sys.stdout.write(urllib.request.urlopen("
                f"\"http://127.0.0.1:{NODE_EXPORTER_PORT}/metrics\",timeout=5).read().decode())'"),
}


@dataclass(frozen=True)
class ProbeOutput:
    """What a probe printed (rc, stdout, stderr)."""

    rc: int
    stdout: str
    stderr: str = ""


@dataclass(frozen=True)
class Context:
    """What the estate says about the host: expectations that are not the same everywhere."""

    host: str
    site: str
    role: str
    mlps: int
    ntp_servers: tuple[str, ...] = ()
    syslog_servers: tuple[str, ...] = ()


class ProbeError(Exception):
    """The probe did not give a readable answer; the message is the observed value."""


# --- expectations ---

@dataclass(frozen=True)
class Expect:
    """An expected value: `ok(observed)` and a human description."""

    text: str
    ok: Callable[[Any], bool]


def equals(value: Any) -> Expect:
    return Expect(str(value), lambda seen: seen == value)


def one_of(*values: str) -> Expect:
    return Expect(" or ".join(values), lambda seen: seen in values)


def between(low: int, high: int, unit: str = "") -> Expect:
    return Expect(f"{low}–{high}{unit}", lambda seen: isinstance(seen, int) and low <= seen <= high)


def at_least(low: int) -> Expect:
    return Expect(f"≥ {low}", lambda seen: isinstance(seen, int) and seen >= low)


def at_most(high: int) -> Expect:
    return Expect(f"≤ {high}", lambda seen: isinstance(seen, int) and 0 < seen <= high)


def subset_of(allowed: list[str]) -> Expect:
    return Expect("only " + ",".join(allowed),
                  lambda seen: bool(seen) and set(seen) <= set(allowed))


def contains_all(required: list[str]) -> Expect:
    return Expect("all of " + ", ".join(required), lambda seen: set(required) <= set(seen))


def same_set(values: list[str]) -> Expect:
    return Expect("exactly " + ", ".join(values) if values else "none",
                  lambda seen: set(seen) == set(values))


def nothing(what: str) -> Expect:
    return Expect(f"no {what}", lambda seen: not seen)


@dataclass(frozen=True)
class Control:
    """One checkable requirement."""

    id: str
    title: str
    refs: dict[int, str]
    probe: str
    read: Callable[[ProbeOutput, Context], Any]
    expect: dict[int, Expect | Callable[[Context], Expect]]
    show: Callable[[Any], str] = field(default=lambda value: _show(value))
    kernel: bool = False

    def applies(self, level: int) -> bool:
        return level in self.expect

    def expectation(self, level: int, context: Context) -> Expect:
        exp = self.expect[level]
        return exp if isinstance(exp, Expect) else exp(context)


@dataclass(frozen=True)
class Result:
    """A control evaluated on one host."""

    id: str
    title: str
    ref: str
    expected: str
    observed: str
    status: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "ref": self.ref, "title": self.title, "status": self.status,
                "expected": self.expected, "observed": self.observed}


def _show(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set)):
        return ",".join(str(v) for v in value) if value else "none"
    return str(value)


def _ref(clause: str, levels: tuple[int, ...] = LEVELS) -> dict[int, str]:
    """`"1.4.1 a)"` → {2: "7.1.4.1 a)", 3: "8.1.4.1 a)"} (chapter 7 = level 2, 8 = level 3)."""
    return {level: f"{level + 5}.{clause}" for level in levels}


# --- readers: probe output → observed value (raise ProbeError when unreadable) ---

def _ok(out: ProbeOutput, what: str) -> str:
    if out.rc != 0:
        detail = (out.stderr or out.stdout).strip().splitlines()
        raise ProbeError(f"{what} failed (rc {out.rc}): {detail[-1] if detail else 'no output'}")
    return out.stdout


def sshd_options(out: ProbeOutput) -> dict[str, str]:
    """`sshd -T` → {keyword: value} (keywords in lower case, as sshd prints them)."""
    options: dict[str, str] = {}
    for line in _ok(out, "sshd -T").splitlines():
        key, _, value = line.strip().partition(" ")
        if key and key not in options:
            options[key] = value.strip()
    return options


def sshd_value(key: str) -> Callable[[ProbeOutput, Context], str | None]:
    return lambda out, ctx: sshd_options(out).get(key)


def sshd_list(key: str) -> Callable[[ProbeOutput, Context], list[str]]:
    def read(out: ProbeOutput, ctx: Context) -> list[str]:
        value = sshd_options(out).get(key) or ""
        return [item for item in value.split(",") if item]
    return read


def sshd_int(key: str) -> Callable[[ProbeOutput, Context], int | None]:
    def read(out: ProbeOutput, ctx: Context) -> int | None:
        value = sshd_options(out).get(key)
        return int(value) if value is not None and value.lstrip("-").isdigit() else None
    return read


def idle_timeout(out: ProbeOutput, ctx: Context) -> int:
    """Seconds until sshd drops an unresponsive session: interval × count (0 = never)."""
    options = sshd_options(out)
    interval = int(options.get("clientaliveinterval", "0"))
    count = int(options.get("clientalivecountmax", "0"))
    return interval * count


def key_values(text: str, separator: str = "=") -> dict[str, str]:
    """`key = value` / `KEY value` lines (comments skipped, last one wins); bare words → "yes"."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if separator == "=":
            key, sep, value = line.partition("=")
            values[key.strip()] = value.strip() if sep else "yes"
        else:
            parts = line.split(None, 1)
            values[parts[0]] = parts[1].strip() if len(parts) > 1 else "yes"
    return values


def kv_int(key: str, separator: str = "=", what: str = "") -> Callable[[ProbeOutput, Context], int | None]:
    def read(out: ProbeOutput, ctx: Context) -> int | None:
        value = key_values(_ok(out, what or key), separator).get(key)
        return int(value) if value is not None and value.lstrip("-").isdigit() else None
    return read


def kv_str(key: str, separator: str = "=", what: str = "") -> Callable[[ProbeOutput, Context], str | None]:
    return lambda out, ctx: key_values(_ok(out, what or key), separator).get(key)


PAM_MARKERS = {
    "common-auth: pam_faillock preauth": ("common-auth", re.compile(r"\bpam_faillock\.so\s+preauth\b")),
    "common-auth: pam_faillock authfail": ("common-auth", re.compile(r"\bpam_faillock\.so\s+authfail\b")),
    "common-account: pam_faillock": ("common-account", re.compile(r"\bpam_faillock\.so\s*$")),
    "common-password: pam_pwquality": ("common-password", re.compile(r"\bpam_pwquality\.so\b")),
}


def pam_modules(out: ProbeOutput, ctx: Context) -> list[str]:
    """Which of the baseline's PAM modules the common-* stacks call."""
    found = []
    lines = _ok(out, "reading /etc/pam.d/common-*").splitlines()
    for marker, (stack, pattern) in PAM_MARKERS.items():
        for line in lines:
            path, _, rule = line.partition(":")
            if path.endswith("/" + stack) and pattern.search(rule.strip()):
                found.append(marker)
                break
    return found


def tmout(out: ProbeOutput, ctx: Context) -> int | None:
    value = _ok(out, "login shell").strip().splitlines()
    return int(value[-1]) if value and value[-1].isdigit() else None


def chrony_sources(out: ProbeOutput, ctx: Context) -> list[str]:
    """`chronyc -n -c sources` (CSV: mode,state,address,...) → the addresses chronyd uses."""
    text = _ok(out, "chronyc sources (is chronyd running?)")
    return [line.split(",")[2] for line in text.splitlines() if line.count(",") >= 2]


_OMFWD = re.compile(r'type\s*=\s*"omfwd"[^)]*?target\s*=\s*"([^"]+)"|target\s*=\s*"([^"]+)"[^)]*?'
                    r'type\s*=\s*"omfwd"', re.S)
def syslog_targets(out: ProbeOutput, ctx: Context) -> list[str]:
    """Remote syslog targets in rsyslog's configuration (action(type="omfwd") and @/@@ lines)."""
    text = "\n".join(line for line in _ok(out, "reading rsyslog configuration").splitlines()
                     if not line.lstrip().startswith("#"))
    targets = [a or b for a, b in _OMFWD.findall(text)]
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].startswith("@"):
            targets.append(_legacy_target(parts[1]))
    return sorted(set(targets))


def _legacy_target(action: str) -> str:
    """`@host`, `@@host:port`, `@@(z9)[2001:db8::1]:514` → the host."""
    target = re.sub(r"^@@?(\([^)]*\))?", "", action)
    if target.startswith("["):
        return target[1:].split("]", 1)[0]
    return target.rsplit(":", 1)[0] if target.count(":") == 1 else target


def process(name: str) -> Callable[[ProbeOutput, Context], str]:
    def read(out: ProbeOutput, ctx: Context) -> str:
        names = {line.strip() for line in _ok(out, "ps").splitlines()}
        return "running" if name[:15] in names else "not running"
    return read


def installed_packages(out: ProbeOutput) -> set[str]:
    """dpkg-query lines `name ii ` → names of installed (or half-removed) packages."""
    names = set()
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1][:2] in ("ii", "iU", "iF", "iH", "hi"):
            names.add(parts[0].split(":")[0])
    return names


def insecure_installed(out: ProbeOutput, ctx: Context) -> list[str]:
    _ok(out, "dpkg-query")
    return sorted(installed_packages(out) & set(INSECURE_PACKAGES))


def package_state(name: str) -> Callable[[ProbeOutput, Context], str]:
    def read(out: ProbeOutput, ctx: Context) -> str:
        _ok(out, "dpkg-query")
        return "installed" if name in installed_packages(out) else "not installed"
    return read


def audit_keys(out: ProbeOutput, ctx: Context) -> list[str]:
    text = _ok(out, "reading /etc/audit/rules.d")
    keys = re.findall(r"(?:-k\s+|-F\s+key=)(\S+)", text)
    return sorted(set(keys))


def auditd_loaded(out: ProbeOutput, ctx: Context) -> str:
    text = _ok(out, "auditctl")
    enabled = re.search(r"^enabled (\d)", text, re.M)
    rules = [line for line in text.splitlines() if line.startswith("-")]
    if not enabled or enabled.group(1) == "0":
        return "auditing disabled"
    return f"enabled {enabled.group(1)}, {len(rules)} rules"


def _sysctl_mismatches(values: dict[str, str], level: int) -> list[str]:
    wrong = []
    for key, want in SYSCTL[level].items():
        have = values.get(key)
        if have != want:
            wrong.append(f"{key}={have if have is not None else '(unset)'}")
    return wrong


def sysctl_persisted(out: ProbeOutput, ctx: Context) -> list[str]:
    """Settings of the level's table that the sysctl files do not set as required (last file wins)."""
    values = {k.replace("/", "."): v for k, v in key_values(_ok(out, "reading sysctl.d")).items()}
    return _sysctl_mismatches(values, ctx.mlps)


def sysctl_running(out: ProbeOutput, ctx: Context) -> list[str]:
    """Settings of the level's table the running kernel has otherwise (unknown keys are skipped)."""
    values = key_values(_ok(out, "sysctl"))
    if not values:
        raise ProbeError("sysctl printed nothing")
    return [f"{key}={values[key]}" for key, want in SYSCTL[ctx.mlps].items()
            if key in values and values[key] != want]


def insecure_listeners(out: ProbeOutput, ctx: Context) -> list[str]:
    found = set()
    for line in _ok(out, "ss").splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        proto, local = parts[0], parts[4]
        port = local.rsplit(":", 1)[-1]
        if port.isdigit() and int(port) in INSECURE_PORTS.get(proto, []):
            found.add(f"{port}/{proto}")
    return sorted(found, key=lambda p: (p.split("/")[1], int(p.split("/")[0])))


def node_metrics(out: ProbeOutput, ctx: Context) -> int:
    """Number of node_* samples the exporter serves on its port."""
    text = _ok(out, f"GET http://127.0.0.1:{NODE_EXPORTER_PORT}/metrics")
    return sum(1 for line in text.splitlines() if line.startswith("node_"))


def host_info(out: ProbeOutput, ctx: Context) -> str:
    """The govops_host_info sample written by the textfile collector (labels sorted)."""
    text = _ok(out, f"GET http://127.0.0.1:{NODE_EXPORTER_PORT}/metrics")
    for line in text.splitlines():
        match = re.match(r"^govops_host_info\{(.*)\}\s+1(?:\.0)?\s*$", line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            return ",".join(f"{k}={labels[k]}" for k in sorted(labels))
    return "(no govops_host_info)"


def _host_info_expected(ctx: Context) -> Expect:
    want = f"host={ctx.host},mlps={ctx.mlps},role={ctx.role},site={ctx.site}"
    return Expect(want, lambda seen: seen == want)


def _ntp(ctx: Context) -> Expect:
    return same_set(list(ctx.ntp_servers))


def _syslog(ctx: Context) -> Expect:
    return Expect("all of " + ", ".join(ctx.syslog_servers) if ctx.syslog_servers else "none",
                  lambda seen: set(ctx.syslog_servers) <= set(seen) and bool(seen or not ctx.syslog_servers))


def _both(expect: Expect | Callable[[Context], Expect]) -> dict[int, Expect | Callable[[Context], Expect]]:
    return {level: expect for level in LEVELS}


def _deviations(value: list[str]) -> str:
    if not value:
        return "all set"
    shown = ", ".join(value[:4])
    return f"{len(value)} off: {shown}" + (f", … (+{len(value) - 4})" if len(value) > 4 else "")


ROOT_KEY_ONLY = one_of("without-password", "prohibit-password", "no")
AUDIT_REF = {3: "8.1.4.3 a), b)"}

CONTROLS: list[Control] = [
    # Identification and authentication (x.1.4.1), default accounts (x.1.4.2 b)
    Control("ssh-password-auth", N_("SSH: no password logins (keys only)"), _ref("1.4.1 a)"), "sshd",
            sshd_value("passwordauthentication"), _both(equals("no"))),
    Control("ssh-kbd-interactive", N_("SSH: no keyboard-interactive logins"), _ref("1.4.1 a)"), "sshd",
            sshd_value("kbdinteractiveauthentication"), _both(equals("no"))),
    Control("ssh-empty-passwords", N_("SSH: empty passwords refused"), _ref("1.4.1 a)"), "sshd",
            sshd_value("permitemptypasswords"), _both(equals("no"))),
    Control("ssh-root-login", N_("SSH: root never logs in with a password"), _ref("1.4.2 b)"), "sshd",
            sshd_value("permitrootlogin"), _both(ROOT_KEY_ONLY)),
    Control("ssh-max-auth-tries", N_("SSH: attempts per connection"), _ref("1.4.1 b)"), "sshd",
            sshd_int("maxauthtries"), {2: at_most(5), 3: at_most(3)}),
    Control("ssh-idle-timeout", N_("SSH: unresponsive sessions dropped (interval × count, s)"),
            _ref("1.4.1 b)"), "sshd", idle_timeout, {2: between(1, 900, " s"), 3: between(1, 600, " s")},
            show=lambda v: f"{v} s"),
    Control("ssh-banner", N_("SSH: login banner shown"), {2: "ops policy", 3: "ops policy"}, "sshd",
            sshd_value("banner"), _both(Expect("a banner file", lambda seen: seen not in (None, "none")))),
    Control("ssh-ciphers", N_("SSH: ciphers"), _ref("1.4.1 c)"), "sshd", sshd_list("ciphers"),
            {level: subset_of(SSH_CIPHERS[level]) for level in LEVELS}),
    Control("ssh-macs", N_("SSH: MACs"), _ref("1.4.1 c)"), "sshd", sshd_list("macs"),
            {level: subset_of(SSH_MACS[level]) for level in LEVELS}),
    Control("ssh-kex", N_("SSH: key exchange"), _ref("1.4.1 c)"), "sshd", sshd_list("kexalgorithms"),
            {level: subset_of(SSH_KEX[level]) for level in LEVELS}),
    Control("ssh-log-level", N_("SSH: log level (VERBOSE records key fingerprints)"), _ref("1.4.3 a)"),
            "sshd", sshd_value("loglevel"), {2: one_of("INFO", "VERBOSE"), 3: equals("VERBOSE")}),
    Control("ssh-forwarding", N_("SSH: no X11 or agent forwarding"), _ref("1.4.4 b)"), "sshd",
            lambda out, ctx: [k for k in ("x11forwarding", "allowagentforwarding")
                              if sshd_options(out).get(k) != "no"],
            _both(nothing("forwarding")), show=lambda v: "allowed: " + ",".join(v) if v else "off"),
    Control("ssh-tcp-forwarding", N_("SSH: no TCP forwarding"), {3: "8.1.4.4 b)"}, "sshd",
            sshd_value("allowtcpforwarding"), {3: equals("no")}),
    Control("pam-modules", N_("PAM: pwquality and faillock in the login stacks"), _ref("1.4.1 a), b)"), "pam",
            pam_modules, _both(contains_all(list(PAM_MARKERS)))),
    Control("pwquality-minlen", N_("Passwords: minimum length"), _ref("1.4.1 a)"), "pwquality",
            kv_int("minlen", what="pwquality.conf"), {2: at_least(8), 3: at_least(12)}),
    Control("pwquality-minclass", N_("Passwords: character classes"), _ref("1.4.1 a)"), "pwquality",
            kv_int("minclass", what="pwquality.conf"), _both(at_least(3))),
    Control("pwquality-root", N_("Passwords: rules apply to root too"), {3: "8.1.4.1 a)"}, "pwquality",
            kv_str("enforce_for_root", what="pwquality.conf"), {3: equals("yes")}),
    Control("faillock-deny", N_("Lockout: failed logins before lock"), _ref("1.4.1 b)"), "faillock",
            kv_int("deny", what="faillock.conf"), {2: at_most(5), 3: at_most(3)}),
    Control("faillock-unlock", N_("Lockout: lock duration (s, 0 = until an admin unlocks)"), _ref("1.4.1 b)"),
            "faillock", kv_int("unlock_time", what="faillock.conf"),
            {2: Expect("≥ 600 or 0", lambda v: isinstance(v, int) and (v == 0 or v >= 600)),
             3: Expect("≥ 1800 or 0", lambda v: isinstance(v, int) and (v == 0 or v >= 1800))}),
    Control("password-max-days", N_("Passwords: changed at least every N days"), _ref("1.4.1 a)"),
            "login_defs",
            kv_int("PASS_MAX_DAYS", separator=" ", what="login.defs"), {2: at_most(180), 3: at_most(90)}),
    Control("umask", N_("New files: default umask"), {3: "8.1.4.2 d)"}, "login_defs",
            kv_str("UMASK", separator=" ", what="login.defs"), {3: equals("027")}),
    Control("shell-timeout", N_("Login shells: idle timeout (TMOUT, s)"), _ref("1.4.1 b)"), "tmout", tmout,
            {2: at_most(900), 3: at_most(600)}, show=lambda v: f"{v} s" if v is not None else "(not set)"),
    # Security audit (x.1.4.3), centralised control (8.1.5.4)
    Control("ntp-sources", N_("Time: chronyd follows the estate's NTP servers only"), _ref("1.4.3 b)"),
            "chrony", chrony_sources, _both(_ntp)),
    Control("syslog-forward", N_("Logs: forwarded to the ops platform"),
            {2: "7.1.4.3 c)", 3: "8.1.4.3 c), 8.1.5.4 d)"}, "rsyslog", syslog_targets,
            _both(_syslog)),
    Control("rsyslogd-running", N_("Logs: rsyslogd running"), {2: "7.1.4.3 c)", 3: "8.1.4.3 c), 8.1.5.4 d)"},
            "procs", process("rsyslogd"), _both(equals("running"))),
    Control("auditd-installed", N_("Audit: auditd installed"), AUDIT_REF, "packages", package_state("auditd"),
            {3: equals("installed")}),
    Control("audit-rules", N_("Audit: rules for identities, privileges, logins, time, modules"),
            AUDIT_REF, "audit_rules", audit_keys, {3: contains_all(AUDIT_KEYS)}),
    Control("audit-to-syslog", N_("Audit: events forwarded through syslog"), {3: "8.1.4.3 c), 8.1.5.4 d)"},
            "audit_plugin", kv_str("active", what="audit syslog plugin"), {3: equals("yes")}),
    Control("auditd-running", N_("Audit: auditd running with rules loaded"), {3: "8.1.4.3 a), d)"},
            "auditctl",
            auditd_loaded,
            {3: Expect("enabled, rules loaded",
                       lambda v: v.startswith("enabled") and not v.endswith(" 0 rules"))},
            kernel=True),
    # Intrusion prevention (x.1.4.4)
    Control("sysctl-persisted", N_("Kernel: hardening settings persisted (sysctl.d)"), _ref("1.4.4 b)"),
            "sysctl_files", sysctl_persisted, _both(nothing("deviations")), show=_deviations),
    Control("sysctl-running", N_("Kernel: hardening settings in force"), _ref("1.4.4 b)"), "sysctl_now",
            sysctl_running, _both(nothing("deviations")), show=_deviations,
            kernel=True),
    Control("insecure-packages", N_("Services: no telnet, rsh, talk, tftp, NIS, inetd, ftp"),
            _ref("1.4.4 a), b)"), "packages", insecure_installed, _both(nothing("insecure packages"))),
    Control("insecure-ports", N_("Services: nothing listens on ftp/telnet/r-services/tftp/talk ports"),
            _ref("1.4.4 b)"), "listen", insecure_listeners, _both(nothing("listeners"))),
    # Monitoring by the ops platform
    Control("node-exporter", N_("Metrics: node exporter answers on :9100"),
            {2: "ops policy", 3: "8.1.5.4 c)"}, "metrics", node_metrics, _both(at_least(1)),
            show=lambda v: f"{v} node_* samples"),
    Control("host-info-metric", N_("Metrics: textfile collector serves govops_host_info"),
            {2: "ops policy", 3: "8.1.5.4 c)"}, "metrics", host_info, _both(_host_info_expected)),
]

def controls_for(level: int) -> list[Control]:
    """The controls that apply at an MLPS level, in report order."""
    return [c for c in CONTROLS if c.applies(level)]


def probes_for(level: int) -> list[str]:
    """The probes those controls need (plus `container`), each run once."""
    names = ["container"]
    for control in controls_for(level):
        if control.probe not in names:
            names.append(control.probe)
    return names


def evaluate(control: Control, level: int, outputs: dict[str, ProbeOutput], context: Context,
             in_container: bool = False) -> Result:
    """One control on one host, from the probes' recorded output."""
    ref = control.refs.get(level, "")
    expect = control.expectation(level, context)
    if control.kernel and in_container:
        return Result(control.id, control.title, ref, expect.text,
                      "container: the kernel is the machine's, not the host's", NA)
    output = outputs.get(control.probe)
    if output is None:
        return Result(control.id, control.title, ref, expect.text, f"probe {control.probe} not run", FAIL)
    try:
        value = control.read(output, context)
    except ProbeError as exc:
        return Result(control.id, control.title, ref, expect.text, str(exc), FAIL)
    status = PASS if expect.ok(value) else FAIL
    return Result(control.id, control.title, ref, expect.text, control.show(value), status)


def evaluate_host(level: int, outputs: dict[str, ProbeOutput], context: Context) -> list[Result]:
    """Every control of the level, in order."""
    in_container = outputs.get("container", ProbeOutput(1, "")).stdout.strip() == "yes"
    return [evaluate(c, level, outputs, context, in_container) for c in controls_for(level)]
