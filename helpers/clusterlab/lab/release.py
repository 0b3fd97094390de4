"""A project's release files, put where a release reads them.

A real Elixir project configures its clustering in three files: ``config/runtime.exs``
(libcluster's topologies, dns_cluster's query; evaluated at every boot),
``rel/env.sh.eex`` (``RELEASE_DISTRIBUTION``, ``RELEASE_NODE``) and ``rel/vm.args.eex``
(VM flags), the two templates rendered by ``mix release``. A lesson variant or an
exercise keeps them beside its ``compose.yaml``; the lab renders the templates in the
lab image, as ``mix release`` would (EEx, with ``@release``), and mounts the results
read-only over the release's own, in every service that runs the lab image:

    <folder>/config/runtime.exs   ->  /app/releases/<vsn>/runtime.exs
    <folder>/rel/env.sh.eex       ->  /app/releases/<vsn>/env.sh      (rendered)
    <folder>/rel/vm.args.eex      ->  /app/releases/<vsn>/vm.args     (rendered)

A template that does not render stops the start with EEx's own message and line; a
``runtime.exs`` that does not compile stops the node at boot with the compiler's.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalogue import RELEASE_FILES
from ..errors import ComposeFileError
from ..gates import engine

RELEASE_DIR = "/app/releases/0.1.0"
"""Where the lab image's release reads them (labs/app/mix.exs: ``version: "0.1.0"``)."""

RUNTIME = RELEASE_FILES[0]
TEMPLATES = {name: Path(name).stem for name in RELEASE_FILES[1:]}
"""``rel/env.sh.eex`` -> ``env.sh``: what ``mix release`` renders each template to."""


class ReleaseFileError(ComposeFileError):
    """A project file of a lesson or exercise that does not render."""

    hint = "Fix the template at the line EEx names; `lesson.source(variant)` shows the files."


@dataclass(frozen=True)
class ReleaseFiles:
    """The release files a folder holds (paths relative to it, as a project has them)."""

    folder: Path
    runtime: Path | None
    templates: tuple[Path, ...]

    def __bool__(self) -> bool:
        return self.runtime is not None or bool(self.templates)

    @property
    def names(self) -> list[str]:
        """The files, as a learner sees them: ``config/runtime.exs``, ``rel/env.sh.eex``."""
        found = [self.runtime] if self.runtime else []
        return [str(p.relative_to(self.folder)) for p in [*found, *self.templates]]


def find(folder: Path) -> ReleaseFiles:
    """The release files beside a compose file (none: the image's own are used)."""
    runtime = folder / RUNTIME
    templates = tuple(folder / name for name in TEMPLATES if (folder / name).is_file())
    return ReleaseFiles(folder, runtime if runtime.is_file() else None, templates)


def render(files: ReleaseFiles, image: str, out: Path) -> dict[str, Path]:
    """Render ``files``' templates with the lab image's EEx into ``out``; return the
    mounts, container path -> host path. One throw-away container (no network, the
    image's non-root user) renders every template: about 0.8 s."""
    mounts: dict[str, Path] = {}
    if files.runtime:
        mounts[f"{RELEASE_DIR}/runtime.exs"] = files.runtime.resolve()
    if not files.templates:
        return mounts
    rendered = _eval(image, files.folder / "rel")
    out.mkdir(parents=True, exist_ok=True)
    for template in files.templates:
        target = TEMPLATES[f"rel/{template.name}"]
        path = out / target
        path.write_bytes(rendered[template.name])
        path.chmod(0o644)
        mounts[f"{RELEASE_DIR}/{target}"] = path.resolve()
    return mounts


def _eval(image: str, rel: Path) -> dict[str, bytes]:
    import docker.errors

    try:
        output = engine.client().containers.run(
            image, ["eval", 'ClusterLab.Rel.render("/project/rel")'],
            entrypoint=["/app/bin/clusterlab"], network_mode="none", remove=True,
            volumes={str(rel.resolve()): {"bind": "/project/rel", "mode": "ro"}},
            labels={"io.clusterlab.role": "render"})
    except docker.errors.ContainerError as exc:
        raise ReleaseFileError(f"{rel} did not render:\n{_message(exc.stderr)}") from None
    rendered = {}
    for line in output.decode().splitlines():
        name, _, data = line.partition(" ")
        if name.endswith(".eex") and data:
            rendered[name] = base64.b64decode(data)
    return rendered


_FRAME = re.compile(r"^\s+(\([a-z_]+ [0-9][^)]*\) )?\S+\.(erl|ex|exs):\d+: ")
"""A stack frame: ``    (eex 1.18.3) lib/eex/compiler.ex:504: …`` or, from Elixir 1.14's
own code, ``    lib/eex/compiler.ex:410: …``."""


def _message(stderr: bytes | None) -> str:
    """The error's own lines (EEx's or the compiler's message, the source line it
    shows), without the stack trace."""
    lines = (stderr or b"").decode(errors="replace").splitlines()
    kept = [line for line in lines if not _FRAME.match(line)]
    return "\n".join(kept).strip() or "(no message)"


def runs_lab_image(service: Mapping[str, Any], image: str) -> bool:
    """True for a service of the lab image: ``${CLUSTERLAB_IMAGE…}`` (the model is not
    interpolated yet) or the tag itself."""
    named = str(service.get("image") or "")
    return named == image or named.startswith("${CLUSTERLAB_IMAGE")


def plays_other_software(service: Mapping[str, Any]) -> bool:
    """A lab-image service with ``RELEASE_DISTRIBUTION: none`` stands in for software
    that is not the project's release (minio's HTTP stub, an SRV server): it keeps the
    image's own files."""
    env = service.get("environment") or {}
    return isinstance(env, Mapping) and str(env.get("RELEASE_DISTRIBUTION", "")) == "none"


def mount(model: Mapping[str, Any], image: str, mounts: Mapping[str, Path]) -> dict[str, Any]:
    """A copy of a compose model where every service of the project's release (the lab
    image, not a stand-in) has ``mounts`` bind-mounted read-only (after its own volumes)."""
    out = json.loads(json.dumps(model))
    if not mounts:
        return out
    for service in (out.get("services") or {}).values():
        if service is None or not runs_lab_image(service, image) \
                or plays_other_software(service):
            continue
        service["volumes"] = [*(service.get("volumes") or []), *(
            # `$$`: the model is interpolated at `up`, and a path may hold a `$`
            {"type": "bind", "source": str(source).replace("$", "$$"), "target": target,
             "read_only": True}
            for target, source in mounts.items())]
    return out
