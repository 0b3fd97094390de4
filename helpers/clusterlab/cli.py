"""``clusterlab``: the command line. Thin: parse, call the library, print, return a code."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import catalogue
from .doctor.command import add_parser as _add_doctor
from .errors import ClusterLabError, ImageBuildError
from .gates import engines, image, swarm
from .lab import registry
from .lab.lifecycle import Lab
from .lab.project import SOURCE
from .model.topology import to_graph
from .observe.probe import probe
from .progress import say_on_stderr
from .render import report
from .render.draw import draw_topology
from .tools import room

Handler = Callable[[argparse.Namespace], int]


def _usage(cmd: argparse.ArgumentParser) -> Handler:
    def show(args: argparse.Namespace) -> int:
        cmd.print_help()
        return 2

    return show


def _lessons(args: argparse.Namespace) -> int:
    for lesson in catalogue.lessons():
        print(f"{lesson.id:<28} {lesson.title}  [{', '.join(lesson.variants)}]")
    return 0


def _up(args: argparse.Namespace) -> int:
    if args.dir is not None:
        if args.lesson is not None or args.variant is not None:
            raise ClusterLabError("Give a lesson or --dir PATH, not both.",
                                  "--dir starts your own Compose project (--file picks a file "
                                  "in it); a lesson starts its own files.")
        started = Lab.from_dir(args.dir, args.file, detached=True, progress=say_on_stderr)
    elif args.lesson is None:
        raise ClusterLabError("Which lab? Give a lesson (`clusterlab lessons` lists them) or "
                              "--dir PATH to your own Compose project.")
    else:
        started = Lab.create(args.lesson, args.variant or "fixed", compose_file=args.file,
                             detached=True, progress=say_on_stderr)
    started.up(timeout=args.timeout)
    # a --dir project keeps its own cookie (the lab's is not used there)
    cookie = "" if started.source else f"; cookie {started.cookie.masked()}"
    print(f"lab {started.project} is up ({started.title}){cookie}")
    print(f"next: clusterlab probe --project {started.project}")
    return 0


def _probe(args: argparse.Namespace) -> int:
    handle = Lab.attach(args.project)
    names = args.names.split(",") if args.names else ()
    print(report.render(probe(handle.containers(), names, title=handle.title)))
    return 0


def _graph(args: argparse.Namespace) -> int:
    handle = Lab.attach(args.project)
    snapshot = probe(handle.containers(), title=handle.title)
    draw_topology(to_graph(snapshot)).savefig(args.output, dpi=120, bbox_inches="tight")
    print(f"wrote {args.output}")
    return 0


def _down(args: argparse.Namespace) -> int:
    handle = Lab.attach(args.project)
    handle.down()
    print(f"removed lab {handle.project}")
    return 0


def _ls(args: argparse.Namespace) -> int:
    found = registry.projects()
    for project, labels in found.items():
        lesson = labels.get(registry.LESSON) or labels.get(SOURCE, "?")
        variant = labels.get(registry.VARIANT, "?")
        print(f"{project:<16} {lesson:<28} {variant}")
    if not found:
        print("no labs running")
    return 0


def _clean(args: argparse.Namespace) -> int:
    removed = registry.clean(args.project)
    for project, count in removed.items():
        print(f"removed {project}: {count} containers/networks/volumes")
    if not removed:
        print("nothing to clean")
    if swarm.leave_pending():
        print(swarm.Leave(False, tuple(swarm.dns_dependents())).explain())
    return 0


def _image_build(args: argparse.Namespace) -> int:
    built = image.ensure_image(say_on_stderr, force=args.force, verbose=args.verbose,
                               otp=args.otp)
    state = "imported, used as is" if built.imported else "up to date" if built.cached \
        else "built"
    print(f"{built.tag} {state} in {built.seconds:.1f} s (OTP {built.stack.otp}, "
          f"Debian {built.stack.release}, base {built.base})")
    if built.stack != image.stack():
        print(f"labs use it with: export {image.OTP_ENV}={built.stack.otp}")
    return 0


def _image_export(args: argparse.Namespace) -> int:
    built = image.ensure_image(say_on_stderr)
    image.export_image(built.tag, Path(args.file))
    print(f"wrote {args.file}; on another machine: clusterlab image import {args.file}")
    return 0


def _image_import(args: argparse.Namespace) -> int:
    tags = image.import_image(Path(args.file), say_on_stderr)
    for tag in tags:
        print(f"loaded {tag}")
    wanted = image.current_tag()
    if args.require_current and wanted not in tags:
        raise ImageBuildError(
            f"{args.file} does not hold {wanted}, the image this checkout needs "
            "(see the line above for what differs), so it would be rebuilt.",
            "Check out the commit the kit was made from, or make the kit again from this "
            "checkout: `clusterlab room pack DIR`.")
    return 0


def _room_pack(args: argparse.Namespace) -> int:
    packed = room.pack(Path(args.dir), say_on_stderr)
    mb = 1024 * 1024
    print(f"wrote {packed.kit}: image {packed.image} ({packed.image_bytes / mb:.0f} MB), "
          f"{packed.wheels} wheels ({packed.wheel_bytes / mb:.0f} MB) in {packed.seconds:.0f} s; "
          f"in the room: helpers/bin/setup --offline {packed.kit}")
    return 0


def _engine_start(args: argparse.Namespace) -> int:
    started = engines.start(args.version, say_on_stderr,
                            share=tuple(Path(path) for path in args.share))
    state = f"started in {started.seconds:.1f} s" if started.started else "already running"
    print(f"Docker {started.engine} (API {started.api}, containerd {started.containerd}, "
          f"runc {started.runc}, {started.storage}) {state} in container {started.container}")
    if args.lab_image:
        # The bases too: a lab image rebuilt inside (labs/app edited) starts from them.
        bases = [tag for tag in image.base_tags() if engines.host_has(tag)]
        for tag in (image.current_tag(), *bases):
            seconds = engines.load_image(started.version, tag, say_on_stderr)
            print(f"{tag} " + (f"loaded in {seconds:.1f} s" if seconds else "already there"))
    print(f"stop it (and everything in it): clusterlab engine stop {started.version}")
    print(f"export DOCKER_HOST={started.docker_host}")
    return 0


def _engine_stop(args: argparse.Namespace) -> int:
    removed = engines.stop(args.version, purge=args.purge)
    version = engines.recipe(args.version).version
    print(f"removed Docker {version} and everything in it" if removed
          else f"Docker {version} was not running; nothing to remove")
    if os.environ.get("DOCKER_HOST") == engines.recipe(args.version).docker_host:
        print("unset DOCKER_HOST")
    return 0


def _engine_run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    argv, env = engines.run_argv(args.version, command)
    try:
        return subprocess.run(argv, env=env, check=False).returncode
    except FileNotFoundError:
        raise ClusterLabError(f"No such command: {command[0]!r}.") from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="clusterlab", description="Live Docker Compose labs for Erlang/Elixir clustering.")
    top.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Handler | None, help: str) -> argparse.ArgumentParser:
        """A subcommand; one without ``func`` is a group whose bare name prints its help."""
        cmd = sub.add_parser(name, help=help, description=help)
        cmd.set_defaults(func=func or _usage(cmd))
        return cmd

    def project(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--project", "-p", help="which lab (default: the newest one)")

    command("lessons", _lessons, "list lessons and their variants")
    up = command("up", _up, "start a lesson's variant, or your own Compose project, as a "
                            "new lab")
    up.add_argument("lesson", nargs="?",
                    help="lesson id, number or slug, e.g. 01-compose-networks or 1")
    up.add_argument("--variant", "-v", help="broken, fixed (default), exercise, …")
    up.add_argument("--dir", "-d", metavar="PATH",
                    help="your own Compose project's folder instead of a lesson: its images "
                         "are built, its nodes probed with their own tools")
    up.add_argument("--file", "-f", help="use this compose file instead of the variant's "
                                         "(with --dir: a file in that folder)")
    up.add_argument("--timeout", type=float, default=None,
                    help="seconds to wait for health (default: the lab's own, 60 s plus 3 s "
                         "per container past ten)")
    probe = command("probe", _probe, "print the DNS matrix and Node.list() of every node")
    project(probe)
    probe.add_argument("--names", help="comma-separated names to resolve (default: services)")
    graph = command("graph", _graph, "draw the cluster that formed to a PNG")
    project(graph)
    graph.add_argument("--output", "-o", default="cluster.png", help="output file")
    project(command("down", _down, "stop a lab and remove its containers, networks, volumes"))
    command("ls", _ls, "list running labs")
    _add_doctor(sub)
    project(command("clean", _clean, "remove every lab's leftovers (or one lab's)"))
    img = command("image", None, "build or share the lab image")
    isub = img.add_subparsers(dest="image_command", metavar="ACTION")
    build = isub.add_parser("build", help="build the lab image (cached by content)")
    build.add_argument("--force", action="store_true", help="rebuild even if cached")
    build.add_argument("--verbose", action="store_true", help="show every build line")
    build.add_argument("--otp", choices=sorted(image.STACKS), default=None,
                       help=f"which Erlang/OTP (default: ${image.OTP_ENV}, else "
                            f"{image.DEFAULT_OTP}); labs pick it from ${image.OTP_ENV}")
    build.set_defaults(func=_image_build)
    export = isub.add_parser("export", help="save the image to a tar file (for offline rooms)")
    export.add_argument("file")
    export.set_defaults(func=_image_export)
    imp = isub.add_parser("import", help="load an image tar made by `image export`")
    imp.add_argument("file")
    imp.add_argument("--require-current", action="store_true",
                     help="fail unless the archive holds the image this checkout needs")
    imp.set_defaults(func=_image_import)
    rm = command("room", None, "the offline room kit")
    rsub = rm.add_subparsers(dest="room_command", metavar="ACTION")
    pack = rsub.add_parser("pack", help="write image, wheelhouse, checksums and START-HERE.md "
                                        "to DIR (needs the network once)")
    pack.add_argument("dir")
    pack.set_defaults(func=_room_pack)
    eng = command("engine", None, "start or stop a Docker Engine of another version "
                                  "(Docker-in-Docker, offline)")
    esub = eng.add_subparsers(dest="engine_command", metavar="ACTION")
    estart = esub.add_parser("start", help="start Docker VERSION; its last line is the "
                                            "`export DOCKER_HOST=…` to run")
    estart.add_argument("version", help=f"{' or '.join(engines.RECIPES)}")
    estart.add_argument("--lab-image", action="store_true",
                        help="also copy the lab image (of $CLUSTERLAB_OTP) into it")
    estart.add_argument("--share", action="append", default=[], metavar="DIR",
                        help="a host folder labs bind-mount files from, mounted at the same "
                             "path (repeatable; the temporary folder and labs/ always are)")
    estart.set_defaults(func=_engine_start)
    erun = esub.add_parser("run", help="run a command against Docker VERSION: with its "
                                        "DOCKER_HOST and (as root) in its network namespace, "
                                        "where its labs' published ports are")
    erun.add_argument("version", help=f"{' or '.join(engines.RECIPES)}")
    erun.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG ...]")
    erun.set_defaults(func=_engine_run)
    estop = esub.add_parser("stop", help="remove Docker VERSION and everything in it")
    estop.add_argument("version", help=f"{' or '.join(engines.RECIPES)}")
    estop.add_argument("--purge", action="store_true",
                       help="also remove its image (the next start bootstraps it again)")
    estop.set_defaults(func=_engine_stop)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ClusterLabError as exc:
        print(f"clusterlab: {exc}", file=sys.stderr)
        if args.debug or os.environ.get("CLUSTERLAB_DEBUG"):
            raise
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; `clusterlab clean` removes anything left behind", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
