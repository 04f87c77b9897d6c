#!/usr/bin/env python3
"""mkimage.py OUT.tar REF ENTRYPOINT SRC:DEST... [--link DEST=TARGET]...

Packs static programs into a one-layer image with no base, as a docker-archive tarball
(what `ctr -n k8s.io images import` reads): the files at DEST (mode 0755), the symlinks
given with --link, /etc/passwd and /etc/group with root and nobody, and empty /tmp, /dev,
/proc, /sys. Everything is stamped at time 0, so the same inputs give the same image
(and the same digest)."""
import hashlib
import io
import json
import sys
import tarfile


def entry(name, size=0, mode=0o755, kind=tarfile.REGTYPE, target=""):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.type, info.linkname, info.mtime = size, mode, kind, target, 0
    return info


def layer(files, links):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        dirs = {"etc", "tmp", "dev", "proc", "sys"}
        for dest in [d for _, d in files] + list(links):
            parts = dest.strip("/").split("/")[:-1]
            dirs.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        for d in sorted(dirs):
            tar.addfile(entry(d, mode=0o1777 if d == "tmp" else 0o755, kind=tarfile.DIRTYPE))
        for name, body in (("etc/passwd", b"root:x:0:0:root:/:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n"),
                           ("etc/group", b"root:x:0:\nnobody:x:65534:\n")):
            tar.addfile(entry(name, len(body), 0o644), io.BytesIO(body))
        for src, dest in files:
            with open(src, "rb") as f:
                data = f.read()
            tar.addfile(entry(dest.lstrip("/"), len(data)), io.BytesIO(data))
        for dest, target in sorted(links.items()):
            tar.addfile(entry(dest.lstrip("/"), kind=tarfile.SYMTYPE, mode=0o777, target=target))
    return buf.getvalue()


def main(argv):
    links, rest = {}, []
    it = iter(argv)
    for a in it:
        if a == "--link":
            dest, _, target = next(it).partition("=")
            links[dest] = target
        else:
            rest.append(a)
    if len(rest) < 4:
        sys.exit(__doc__)
    out, ref, entrypoint = rest[:3]
    files = []
    for spec in rest[3:]:
        src, _, dest = spec.partition(":")
        files.append((src, dest or "/" + src.rsplit("/", 1)[-1]))
    body = layer(files, links)
    layer_digest = hashlib.sha256(body).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": {"Entrypoint": [entrypoint], "Env": ["PATH=/bin:/"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_digest]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "e2e/node/mkimage.py"}],
    }, separators=(",", ":")).encode()
    config_digest = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{"Config": config_digest + ".json", "RepoTags": [ref],
                            "Layers": [layer_digest + "/layer.tar"]}]).encode()
    with tarfile.open(out, "w") as tar:
        for name, data in ((config_digest + ".json", config), (layer_digest + "/layer.tar", body),
                           ("manifest.json", manifest)):
            tar.addfile(entry(name, len(data), 0o644), io.BytesIO(data))
    print(f"{out}: {ref} (config sha256:{config_digest})")


if __name__ == "__main__":
    main(sys.argv[1:])
