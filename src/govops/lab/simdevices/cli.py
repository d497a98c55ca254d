"""One login session on a simulated device: echo, prompts, views, paging, questions.

Transport-free: `CliSession.feed(data)` takes what the client typed and returns what the
terminal shows, so the server glue is a few lines and the CLI is tested without SSH. Prompts:
`<name>` in the user view; `[name]` and `[name-view]` in system view and below (VRP V8 marks
them `[~name]` when the candidate is clean and `[*name]` with uncommitted changes).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from govops.lab.simdevices import grammar, tree
from govops.lab.simdevices.device import SimDevice
from govops.lab.simdevices.displays import display
from govops.lab.simdevices.protocols import Estate
from govops.lab.simdevices.timing import Timing
from govops.lab.simdevices.tree import Node

#: Lines per page until paging is disabled (VRP and Comware default to 24).
PAGE = 24
_MORE = {"vrp": "  ---- More ----", "comware": "---- More ----"}
#: A reply to a question: (output, the next question or None).
Answer = Callable[[str], "tuple[str, Question | None]"]


@dataclass
class Question:
    """A question the device asks and waits for an answer to (`[Y/N]:`)."""

    text: str
    answer: Answer


class CliSession:
    """The state of one SSH session on one device."""

    def __init__(self, dev: SimDevice, estate: Estate, user: str, time_scale: float = 1.0,
                 timing: Timing | None = None):
        self.dev, self.estate, self.user, self.scale = dev, estate, user, time_scale
        #: The device's timing model (None: it answers at once); `delay` is what the answers
        #: fed so far took on such a device, for the server to wait before writing them.
        self.timing = timing
        self.delay = 0.0
        self._asked_by = ""
        self._config_line = False
        self.fam = grammar.family(dev.flavour)
        self.system = False          # in system view (or below)
        self.base: Node | None = None  # the tree the view path lives in
        self.base_version = -1
        self.path: list[Node] = []   # sub-views below the root
        self.dirty = False           # VRP V8: uncommitted changes in the candidate
        self.paging = True
        self.pending: Question | None = None
        self.more: list[str] = []
        self.buffer = ""
        self.last_cr = False
        self.config_commands = 0
        self.closed = False
        self.drop = False

    # -- terminal ---------------------------------------------------------------------------
    def greeting(self) -> str:
        """What the device prints right after login."""
        if self.fam == "comware":
            owner = ("2004-2013 Hangzhou H3C Tech. Co., Ltd." if self.dev.flavour == "comware5"
                     else "2004-2021 New H3C Technologies Co., Ltd.")
            rows = (f"Copyright (c) {owner} All rights reserved.",
                    "Without the owner's prior written consent,",
                    "no decompiling or reverse-engineering shall be allowed.")
            head = ("*" * 78 + "\r\n" + "".join(f"* {r:<75}*\r\n" for r in rows)
                    + "*" * 78 + "\r\n\r\n")
        else:
            head = ("\r\nInfo: The max number of VTY users is 21, the number of current VTY users "
                    "online is 1, and total number of terminal users online is 1.\r\n"
                    "      The current login time is "
                    + time.strftime("%Y-%m-%d %H:%M:%S+08:00") + ".\r\n")
        return head + self.prompt()

    def prompt(self) -> str:
        """The prompt for the current view."""
        name = self.dev.name
        if not self.system:
            return f"<{name}>"
        mark = ("*" if self.dirty else "~") if self.dev.flavour == "vrp8" else ""
        view = "".join("-" + _view_name(n.text, self.fam, self.dev.flavour) for n in self.path)
        return f"[{mark}{name}{view}]"

    def feed(self, data: str) -> str:
        """What the terminal shows after the client typed `data`."""
        out: list[str] = []
        for ch in data:
            if self.closed or self.drop:
                break
            if self.more:
                out.append(self._page_key(ch))
                continue
            if ch in "\r\n":
                if ch == "\n" and self.last_cr:
                    self.last_cr = False
                    continue
                self.last_cr = ch == "\r"
                line, self.buffer = self.buffer, ""
                out.append("\r\n")
                out.append(self._enter(line))
            elif ch in "\x08\x7f":
                if self.buffer:
                    self.buffer = self.buffer[:-1]
                    out.append("\b \b")
            elif ch == "\x03":
                self.buffer = ""
                out.append("^C\r\n" + self.prompt())
            elif ch == "\x1a":  # Ctrl+Z: back to the user view
                self.buffer = ""
                self._leave_system()
                out.append("\r\n" + self.prompt())
            else:
                self.last_cr = False
                self.buffer += ch
                out.append(ch)
        return "".join(out)

    def _enter(self, line: str) -> str:
        if self.pending is not None:
            question, self.pending = self.pending, None
            text, self.pending = question.answer(line.strip())
            if self.timing is not None:
                self.delay += self.timing.answer_s(line, text, asked_by=self._asked_by)
            return self._show(text)
        self._config_line = False
        try:
            text = self.run(line)
        except _Closed:
            self.closed = True
            return ""
        if self.timing is not None:
            self.delay += self.timing.answer_s(line, text, self._config_line)
            if self.pending is not None:
                self._asked_by = " ".join(line.split()).lower()
        return self._show(text)

    def _show(self, text: str) -> str:
        """Output, paged when paging is on, then the prompt (or the question asked)."""
        lines = text.split("\n") if text else []
        if self.paging and len(lines) > PAGE:
            self.more = lines[PAGE:]
            return "\r\n".join(lines[:PAGE]) + "\r\n" + _MORE[self.fam]
        body = "".join(ln + "\r\n" for ln in lines)
        if self.pending is not None:
            return body.rstrip("\r\n") + ("\r\n" if body.strip() else "") + self.pending.text
        return body + self.prompt()

    def _page_key(self, ch: str) -> str:
        erase = "\x1b[42D" + " " * 42 + "\x1b[42D"
        if ch in "qQ\x03":
            self.more = []
            return erase + self.prompt()
        take = 1 if ch in "\r\n" else PAGE
        chunk, self.more = self.more[:take], self.more[take:]
        text = erase + "\r\n".join(chunk) + "\r\n"
        return text + (_MORE[self.fam] if self.more else self.prompt())

    # -- commands ---------------------------------------------------------------------------
    def run(self, line: str) -> str:
        """Execute one command line; the text the device prints (without the prompt)."""
        cmd = " ".join(line.split())
        if not cmd:
            return ""
        faults = self.dev.faults
        if faults.reject and re.search(faults.reject, cmd):
            return self._error("unrecognized", cmd)
        if cmd.startswith("display ") or cmd == "dir" or cmd.startswith("dir "):
            text = display(self.dev, self.estate, cmd)
            return text if text is not None else self._error("unrecognized", cmd)
        if cmd in ("screen-length 0 temporary", "screen-length disable"):
            if (cmd == "screen-length disable") != (self.fam == "comware"):
                return self._error("unrecognized", cmd)
            self.paging = False
            return ("" if self.fam == "comware" else
                    "Info: The configuration takes effect on the current user terminal "
                    "interface only.")
        if cmd == "save" or cmd.startswith("save "):
            return self._save(cmd)
        if cmd.startswith("delete "):
            return self._delete(cmd.split()[-1])
        if not self.system:
            return self._user_view(cmd)
        return self._system_view(cmd)

    def _error(self, kind: str, cmd: str) -> str:
        return grammar.error_text(self.dev.flavour, kind, cmd, len(self.prompt()))

    def _user_view(self, cmd: str) -> str:
        if cmd == "system-view":
            self.system = True
            self._rebase(force=True)
            if self.fam == "comware":
                return "System View: return to User View with Ctrl+Z."
            if self.dev.flavour == "vrp8":
                return "Enter system view, return user view with return command."
            return "Enter system view, return user view with Ctrl+Z."
        if cmd == "quit":
            raise _Closed
        if self.dev.flavour == "vrp8":
            if cmd == "abort trial":
                return self._abort_trial()
            m = re.fullmatch(r"rollback configuration (to commit-id (\d+)|last (\d+))", cmd)
            if m:
                ok = (self.dev.rollback_to(int(m.group(2))) if m.group(2)
                      else self.dev.rollback_last(int(m.group(3))))
                return "" if ok else "Error: The specified commit ID does not exist."
        return self._error("unrecognized", cmd)

    def _system_view(self, cmd: str) -> str:
        self._rebase()
        if cmd == "return":
            return self._exit_to_user()
        if cmd == "quit":
            if self.path:
                self.path.pop()
                return ""
            return self._exit_to_user()
        if self.dev.flavour == "vrp8":
            if cmd == "commit" or re.fullmatch(r"commit trial( \d+)?", cmd):
                return self._commit(cmd)
            if cmd == "abort trial":
                return self._abort_trial()
        if self.fam == "comware" and cmd.startswith("configuration "):
            if self.dev.flavour == "comware5" and cmd.startswith("configuration commit"):
                return self._error("unrecognized", cmd)  # Comware 5: no commit delay
            return self._comware_configuration(cmd)
        problem = grammar.check(self.dev.flavour, cmd)
        if problem:
            return self._error(problem, cmd)
        self.config_commands += 1
        if self.dev.faults.drop_after and self.config_commands >= self.dev.faults.drop_after:
            self.drop = True  # the session dies before this command reaches the device
            return ""
        return self._configure(cmd)

    def _configure(self, cmd: str) -> str:
        assert self.base is not None
        self._config_line = True
        nodes = [self.base, *self.path]
        if cmd.startswith("undo "):
            words = cmd.split()
            if len(nodes) == 1 and words[1:2] == ["interface"] and len(words) == 3 \
                    and grammar.physical_port(words[2]):
                return self._error("physical", cmd)
            tree.undo(nodes[-1], cmd[5:], self.dev.hidden)
            self._touched()
            return ""
        # a view command of this view or of one above it (the device walks up to find it)
        for depth in range(len(nodes) - 1, -1, -1):
            kind = "system" if depth == 0 else grammar.view_kind(nodes[depth].text)
            if grammar.enters_view(self.dev.flavour, kind, cmd):
                node, message = tree.enter(nodes[depth], cmd, top=depth == 0)
                self.path = self.path[:depth] + [node]
                if not message:
                    self._touched()
                return message
        cleared = tree.set_line(nodes[-1], cmd, self.dev.hidden)
        self._touched()
        if cleared:  # wording: the simulator's own (ADR 0020)
            return ("Info: All IPv4 and IPv6 related configurations on this interface are "
                    "removed!" if self.fam == "vrp" else
                    "Some configurations on the interface are removed.")
        return ""

    def _touched(self) -> None:
        if self.dev.flavour == "vrp8":
            self.dirty = True
        else:
            self.dev.changed()
            self.base_version = self.dev.version

    def _rebase(self, force: bool = False) -> None:
        """Keep the view path on the tree it edits: the running config (immediate mode) or a
        candidate copied from it (VRP V8), after a commit, rollback or replace changed it."""
        if self.dev.flavour == "vrp8":
            if self.dirty and not force:
                return
            if force or self.base_version != self.dev.version:
                self._repath(self.dev.running.copy())
        elif force or self.base is not self.dev.running or self.base_version != self.dev.version:
            self._repath(self.dev.running)

    def _repath(self, base: Node) -> None:
        texts = [n.text for n in self.path]
        self.base, self.path, node = base, [], base
        self.base_version = self.dev.version
        for text in texts:
            found = node.find(text)
            if found is None:
                break
            self.path.append(found)
            node = found

    def _leave_system(self) -> None:
        self.system, self.path = False, []

    def _exit_to_user(self) -> str:
        if self.dev.flavour == "vrp8" and self.dirty:
            def answer(reply: str) -> tuple[str, Question | None]:
                r = reply.lower()[:1]
                if r == "y":
                    text = self._commit("commit")
                    self._leave_system()
                    return text, None
                if r == "n":
                    self.dirty = False
                    self._leave_system()
                    return "", None
                return "", None  # C: stay
            self.pending = Question("Warning: Uncommitted configurations found. Are you sure to "
                                    "commit them before exiting? [Y(yes)/N(no)/C(cancel)]:",
                                    answer)
            return ""
        self._leave_system()
        return ""

    def _commit(self, cmd: str) -> str:
        if self.dev.faults.refuse_commit:
            return "Error: Failed to generate committed config."
        trial = None
        if cmd.startswith("commit trial"):
            parts = cmd.split()
            trial = float(parts[2]) if len(parts) > 2 else 600.0
            if not 60 <= trial <= 65535:
                return self._error("unrecognized", cmd)
        if not self.dirty:
            if trial is None:
                self.dev.confirm()
                return ""
            return "Info: No configuration changes to commit."
        assert self.base is not None
        self.dev.commit(self.base, self.user, trial, self.scale)
        self.dirty = False
        self._repath(self.dev.running.copy())
        return ""

    def _abort_trial(self) -> str:
        if not self.dev.abort_trial():
            return "Error: No trial is in progress."
        self.dirty = False
        if self.system:
            self._repath(self.dev.running.copy())
        return "Info: The trial configuration was rolled back."

    def _comware_configuration(self, cmd: str) -> str:
        m = re.fullmatch(r"configuration commit delay (\d+)", cmd)
        if m:
            minutes = int(m.group(1))
            if not 1 <= minutes <= 65535:
                return self._error("unrecognized", cmd)
            if self.dev.faults.refuse_commit:
                return "Failed to set the configuration commit delay."
            self.dev.commit_delay(minutes, self.scale)
            return ""
        if cmd == "configuration commit":
            if self.dev.faults.refuse_commit:
                return "Failed to commit the configuration."
            self.dev.confirm()
            return ""
        m = re.fullmatch(r"configuration replace file (\S+)", cmd)
        if m:
            filename = m.group(1)
            new = self.dev.load(filename)
            if new is None:
                return f"The file {filename} does not exist."

            def answer(reply: str) -> tuple[str, Question | None]:
                if reply.lower()[:1] not in ("y", "n"):
                    return "", None
                self.dev.confirm()  # a pending commit delay ends with the replace
                self.dev.replace_running(new)
                self._repath(self.dev.running)
                return ("Now replacing the current configuration. Please wait...\n"
                        f"Succeeded in replacing current configuration with the file "
                        f"{filename}."), None
            self.pending = Question("Current configuration will be lost, save current "
                                    "configuration? [Y/N]:", answer)
            return ""
        return self._error("unrecognized", cmd)

    def _save(self, cmd: str) -> str:
        words = cmd.split()
        refuse = self.dev.faults.refuse_commit
        if self.fam == "comware" and words[-1] == "force":
            if refuse:
                return "Failed to save the current configuration."
            self.dev.save(words[1] if len(words) == 3 else None)
            return ("Validating file. Please wait...\n"
                    "Saved the current configuration to mainboard device successfully.")
        target = words[1] if len(words) > 1 else None

        def done(reply: str) -> tuple[str, Question | None]:
            if reply.lower()[:1] != "y":
                return "", None
            if refuse:
                return "Error: Failed to save the configuration.", None
            name = self.dev.save(target)
            if self.fam == "comware":
                return ("Now saving current configuration to the device.\n"
                        f"Saving configuration flash:/{name}. Please wait...\n"
                        "Configuration is saved to device successfully."), None
            return ("Now saving the current configuration to the slot 1\n"
                    "Info: Save the configuration successfully."), None

        def done_to(name: str) -> Answer:
            nonlocal target
            target = name
            return done

        if self.fam == "comware" and not target:  # asks for the file, then to overwrite it
            def which_file(reply: str) -> tuple[str, Question | None]:
                name = reply.strip() or "flash:/startup.cfg"
                if _flash_name(name) not in self.dev.flash:
                    return done_to(name)("y")
                return "", Question(f"{name} exists, overwrite? [Y/N]:", done_to(name))

            def file_question(reply: str) -> tuple[str, Question | None]:
                if reply.lower()[:1] != "y":
                    return "", None
                return ("Please input the file name(*.cfg)[flash:/startup.cfg]",
                        Question("(To leave the existing filename unchanged, press the enter "
                                 "key):", which_file))
            self.pending = Question("The current configuration will be written to the device. "
                                    "Are you sure? [Y/N]:", file_question)
            return ""

        if self.fam == "comware":
            text = f"The current configuration will be saved to {target}. Continue? [Y/N]:"
        elif target:
            where = target.removeprefix("flash:/")
            text = f"Are you sure to save the configuration to flash:/{where}? [Y/N]:"
        else:
            text = "Warning: The current configuration will be written to the device. Continue? [Y/N]:"
        self.pending = Question(text, done)
        return ""

    def _delete(self, filename: str) -> str:
        name = filename.removeprefix("flash:/").removeprefix("flash:")
        if name not in self.dev.flash:
            return f"Error: File flash:/{name} does not exist."

        def answer(reply: str) -> tuple[str, Question | None]:
            if reply.lower()[:1] != "y":
                return "", None
            self.dev.flash.pop(name, None)
            if self.fam == "comware":
                return f"Deleting file flash:/{name}... Done.", None
            return f"Info: Deleting file flash:/{name}...succeeded.", None
        q = (f"Delete flash:/{name}? [Y/N]:" if self.fam == "comware"
             else f"Delete flash:/{name}? (y/n)[n]:")
        self.pending = Question(q, answer)
        return ""


class _Closed(Exception):
    """The user quit the session."""


def _flash_name(filename: str) -> str:
    return filename.removeprefix("flash:/").removeprefix("flash:")


def _view_name(header: str, fam: str, flavour: str = "") -> str:
    words = header.split()
    kind = grammar.view_kind(header)
    if kind == "interface":
        return words[1]
    if kind == "family":  # VRP [x-bgp-af-ipv6], Comware 7 [x-bgp-default-ipv6], 5 [x-bgp-af-ipv6]
        v6 = "ipv6" in header
        return ("bgp-" if fam == "vrp" else "") + (
            "af-" if fam == "vrp" or flavour == "comware5" else "") + ("ipv6" if v6 else "ipv4")
    if kind in ("ospf", "ospfv3"):
        return f"{words[0]}-{words[1]}"
    if kind == "area":
        return f"area-{words[1]}"
    if kind == "bgp":
        return "bgp" if fam == "vrp" or flavour == "comware5" else "bgp-default"
    if kind == "acl":
        return "acl-" + "-".join(words[1:])
    if kind in ("user-interface", "line"):  # [name-ui-vty0-4], [name-line-vty0-63]
        return ("ui-" if kind == "user-interface" else "line-") + words[1] + "-".join(words[2:])
    return "-".join(words[:2])
