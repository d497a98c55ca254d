#!/usr/bin/env python3
"""Make a flat APT repository (`deb [trusted=yes] file:/srv/repo ./`) from a folder of .deb files.

Usage: flatrepo.py DEBS_DIR REPO_DIR. Copies the packages under names without an epoch (apt
would ask for `%3a` in file: URIs) and writes `Packages`; needs only dpkg-deb.
"""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path


def main(debs: Path, repo: Path) -> None:
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    stanzas = []
    for deb in sorted(debs.glob("*.deb")):
        control = subprocess.run(["dpkg-deb", "-f", str(deb)], check=True, capture_output=True,
                                 text=True).stdout.rstrip("\n")
        fields = dict(line.split(": ", 1) for line in control.splitlines() if ": " in line
                      and not line.startswith(" "))
        name = f"{fields['Package']}_{fields['Version'].split(':')[-1]}_{fields['Architecture']}.deb"
        shutil.copyfile(deb, repo / name)
        data = (repo / name).read_bytes()
        stanzas.append(f"{control}\nFilename: ./{name}\nSize: {len(data)}\n"
                       f"MD5sum: {hashlib.md5(data).hexdigest()}\n"
                       f"SHA256: {hashlib.sha256(data).hexdigest()}\n")
    if not stanzas:
        sys.exit(f"no .deb files in {debs}")
    (repo / "Packages").write_text("\n".join(stanzas))
    print(f"{len(stanzas)} packages in {repo}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
