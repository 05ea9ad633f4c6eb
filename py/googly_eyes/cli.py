"""Googly eyes from the command line, on a folder of 10,000 photos or one:

    python -m googly_eyes PHOTO_OR_FOLDER... --out DIR [--style glossy] [--json] [--jobs N]

The same pipeline as the page (pipeline.process_photo with the native onnxruntime), the same settings
(every option is made from config.settings_spec(), so its choices, defaults and ranges are the page's)
and the same detections JSON. Folders are walked recursively and their sub-folders kept under DIR.
Photos are spread over the CPU's cores, one process per job, each with its own models.

Exit status: 0 when every photo was done (a photo with no faces is done: it is written unchanged),
1 when any photo failed (each failure is said, with its file, as it happens and again at the end),
2 when nothing could start (a bad option, no models, no photos), 130 when cancelled (Ctrl-C).
Files are written whole or not at all: a cancelled run leaves no partial file.
"""

import argparse
import asyncio
from dataclasses import dataclass
import json
import os
import re
from pathlib import Path
import signal
import sys
import time

from . import __version__
from .config import GooglySettings, setting_problem, settings_spec

# What a folder's files are taken for, by name. Formats the app cannot read (HEIC, AVIF) are taken
# too, so they get a clear message instead of being passed over. Other files in a folder are listed
# as skipped; a file named on the command line is always tried.
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
                  ".heic", ".heif", ".avif"}
# The repository's models/ when googly_eyes runs from a checkout (py/googly_eyes -> repo root).
DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "models"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


@dataclass(frozen=True)
class Task:
    source: Path
    out_dir: Path
    name: str  # the file name the output is named after (made unique within out_dir)


@dataclass(frozen=True)
class Outcome:
    task: Task
    output: Path | None = None
    faces: int = 0
    error: str | None = None


# ---- options, made from the settings' one source -------------------------------------------------

def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two numbers X,Y, got {text!r}") from None
    return x, y


def _add_setting(group, name: str, field: dict) -> None:
    """One option for one field of settings_spec(): its choices or its type, its range and default in
    the help. Values are checked afterwards by the very rule GooglySettings applies."""
    kind = field["kind"]
    if kind == "choice":
        labels = ", ".join(f"{c['value']} ({c['label']})" for c in field["choices"])
        group.add_argument(_option(name), choices=[c["value"] for c in field["choices"]], metavar=name.upper(),
                           help=f"{labels}; default {field['default']}")
    elif kind == "point":
        group.add_argument(_option(name), type=_point, metavar="X,Y",
                           help="a point in photo pixels the pupils look towards (with --pupil-mode look_at)")
    elif kind == "colour":
        group.add_argument(_option(name), metavar="#RRGGBB", help=f"a colour; default {field['default']}")
    else:
        bounds = f"{field['min']}..{field['max']}" + (" exclusive" if field["exclusive"] else "")
        group.add_argument(_option(name), type=int if kind == "integer" else float, metavar="N",
                           help=f"{bounds}; default {field['default']}")


def parser() -> argparse.ArgumentParser:
    spec = settings_spec()
    cli = argparse.ArgumentParser(
        prog="python -m googly_eyes", description="Put googly eyes on every face in photos.",
        epilog="Exit status: 0 all done, 1 some photos failed, 2 could not start, 130 cancelled.")
    cli.add_argument("paths", nargs="+", type=Path, metavar="PHOTO_OR_FOLDER")
    cli.add_argument("--out", "-o", type=Path, required=True, metavar="DIR",
                     help="where the googly-eyed photos go (made if missing); a folder's sub-folders are kept")
    look = cli.add_argument_group("the googly eyes (the page's settings)")
    for name, field in spec["look"].items():
        _add_setting(look, name, field)
    look.add_argument("--background-photo", type=Path, metavar="FILE",
                      help="the photo to put behind the people (with --background photo)")
    output = cli.add_argument_group("output")
    for name, field in spec["output"].items():
        _add_setting(output, name, field)
    output.add_argument("--json", action="store_true",
                        help="also write each photo's detections (NAME.googly.json, as the page's Download JSON)")
    run = cli.add_argument_group("running")
    run.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, metavar="N",
                     help="photos worked on at once, one process each (default: the CPU's cores, %(default)s)")
    run.add_argument("--models", type=Path, default=DEFAULT_MODELS, metavar="DIR",
                     help="a folder with manifest.json and the model files it pins (default: %(default)s)")
    run.add_argument("--quiet", "-q", action="store_true", help="only errors and the summary")
    cli.add_argument("--version", action="version", version=f"googly_eyes {__version__}")
    return cli


def settings_of(args: argparse.Namespace, cli: argparse.ArgumentParser) -> tuple[GooglySettings, dict]:
    """The look, and the output the options ask for ({"format", "quality", "photo_info"}); exit 2 (via
    cli.error) with the same message the core gives when a value is out of its range."""
    spec = settings_spec()
    look = {name: getattr(args, name) for name in spec["look"]}
    try:
        settings = GooglySettings.from_dict(look)
    except ValueError as error:
        cli.error(_as_options(str(error), spec["look"]))
    output = {name: field["default"] if getattr(args, name) is None else getattr(args, name)
              for name, field in spec["output"].items()}
    for name, field in spec["output"].items():
        problem = setting_problem(name, field, output[name])
        if problem:
            cli.error(_as_options(problem, spec["output"]))
    if args.jobs < 1:
        cli.error(f"--jobs must be at least 1, got {args.jobs}")
    if (settings.background == "photo") != (args.background_photo is not None):
        cli.error("--background photo and --background-photo FILE go together")
    if args.background_photo is not None and not args.background_photo.is_file():
        cli.error(f"--background-photo {args.background_photo}: no such file")
    return settings, output


def _as_options(message: str, fields: dict) -> str:
    """The core's message about a setting, naming the option (lambda_min -> --lambda-min)."""
    return re.sub(r"\b(" + "|".join(fields) + r")\b", lambda match: _option(match.group(1)), message)


# ---- which photos, and where each goes --------------------------------------------------------------

def plan(paths: list[Path], out: Path) -> tuple[list[Task], list[str], list[Path]]:
    """(tasks, problems, skipped): a task per photo, in a stable order; a problem for every path that
    does not exist; the files in folders that are not photos by name. The output folder is never read
    as input, so running twice does not give outputs googly eyes of their own."""
    tasks, problems, skipped = [], [], []
    out_resolved = out.resolve()
    taken: set[tuple[Path, str]] = set()

    def add(source: Path, out_dir: Path):
        name, number = source.name, 1
        stem, dot, suffix = name.rpartition(".")
        while (out_dir, _stem_key(name)) in taken:  # a.jpg and a.png (or a.jpg twice) in one folder
            number += 1
            name = f"{stem}-{number}{dot}{suffix}" if dot else f"{suffix}-{number}"
        taken.add((out_dir, _stem_key(name)))
        tasks.append(Task(source, out_dir, name))

    for path in paths:
        if path.is_dir():
            base = path.resolve()
            for file in sorted(base.rglob("*")):
                relative = file.relative_to(base)
                if (any(part.startswith(".") for part in relative.parts) or not file.is_file()
                        or file.resolve().is_relative_to(out_resolved)):
                    continue
                if file.suffix.lower() in PHOTO_SUFFIXES:
                    add(file, out / relative.parent)
                else:
                    skipped.append(file)
        elif path.is_file():
            add(path, out)
        elif path.exists():
            problems.append(f"{path}: not a file or folder")
        else:
            problems.append(f"{path}: no such file or folder")
    return tasks, problems, skipped


def _stem_key(name: str) -> str:
    return (name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name).lower()


# ---- one photo ------------------------------------------------------------------------------------

_models = None  # each process's own models (onnxruntime sessions are not shared between processes)
_pictures: dict[Path, object] = {}  # each process's decoded --background-photo


def _open_models(models_dir: Path, threads: int):
    global _models
    from .models import load_native_models
    _models = load_native_models(models_dir, threads)


def _start_worker(models_dir: Path, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to answer
    _open_models(models_dir, threads)


def _picture(path: Path | None):
    """The decoded --background-photo (once per process), or None."""
    from . import config
    from .photo import load_photo

    if path is None:
        return None
    if path not in _pictures:
        _pictures[path] = load_photo(path.read_bytes(), path.name, config.ANALYSIS_MAX_PIXELS).image
    return _pictures[path]


def do_photo(task: Task, settings: GooglySettings, output: dict, write_json: bool,
             picture: Path | None = None) -> Outcome:
    """Read, find faces, paint, write. Every failure comes back as an Outcome with a message, so one
    bad file never stops the others. `picture`: the --background-photo."""
    from .photo import PhotoError
    from .pipeline import process_photo

    try:
        data = task.source.read_bytes()
        result = asyncio.run(process_photo(data, task.name, _models, settings, picture=_picture(picture)))
        encoded, _mime, file_name = result.encode(output["format"], int(output["quality"]), output["photo_info"])
        written = task.out_dir / file_name
        if written.resolve() == task.source.resolve():
            return Outcome(task, error=f"{task.source}: the output would replace the photo itself; choose another --out")
        task.out_dir.mkdir(parents=True, exist_ok=True)
        _write_whole(written, encoded)
        if write_json:
            _write_whole(written.with_suffix(".json"), json.dumps(result.detections(), indent=1).encode())
        return Outcome(task, written, len(result.faces))
    except PhotoError as error:  # its message starts with the file's name: say the whole path instead
        message = error.message
        message = f"{task.source}{message[len(task.name):]}" if message.startswith(task.name) else f"{task.source}: {message}"
        return Outcome(task, error=f"{message} {error.hint}")
    except MemoryError:
        return Outcome(task, error=f"{task.source}: ran out of memory; try fewer --jobs")
    except OSError as error:
        return Outcome(task, error=f"{task.source}: {error.strerror or error} ({error.filename or task.source})")
    except Exception as error:  # noqa: BLE001 - anything else is still this photo's failure, not the run's
        return Outcome(task, error=f"{task.source}: unexpected {type(error).__name__}: {error}")


def _write_whole(path: Path, data: bytes) -> None:
    """Write to a hidden neighbour, then rename: the file is there whole or not at all."""
    partial = path.with_name(f".{path.name}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


# ---- the run --------------------------------------------------------------------------------------

class Cancelled(Exception):
    """Ctrl-C: the outcomes of the photos that were finished (and written) before the run stopped."""

    def __init__(self, outcomes: list[Outcome]):
        super().__init__(f"cancelled after {len(outcomes)} photos")
        self.outcomes = outcomes


class Progress:
    """A tqdm bar on a terminal (tqdm is imported only here, and only if installed); otherwise one line
    per photo on stdout, which logs well. Errors go to stderr either way, above the bar."""

    def __init__(self, total: int, quiet: bool):
        self.quiet, self.done, self.total, self.bar = quiet, 0, total, None
        if not quiet and sys.stderr.isatty():
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, unit="photo", dynamic_ncols=True)
            except ImportError:
                pass

    def update(self, outcome: Outcome) -> None:
        self.done += 1
        if outcome.error:
            (self.bar.write if self.bar else print)(f"error: {outcome.error}", file=sys.stderr)
        elif not self.quiet and not self.bar:
            faces = f"{outcome.faces} face{'s' * (outcome.faces != 1)}" if outcome.faces else "no faces found"
            print(f"[{self.done}/{self.total}] {outcome.task.source} -> {outcome.output} ({faces})", flush=True)
        if self.bar:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar:
            self.bar.close()


def run(tasks: list[Task], args, settings: GooglySettings, output: dict, progress: Progress) -> list[Outcome]:
    """Every task's outcome, in the order they finish. One job runs in this process; more spread over
    processes, each with its own models."""
    jobs = min(args.jobs, len(tasks))
    threads = 1  # one onnxruntime thread per process: a second thread gave nothing (docs/CLI.md)
    outcomes = []
    if jobs == 1:
        _open_models(args.models, threads)
        try:
            for task in tasks:
                outcomes.append(do_photo(task, settings, output, args.json, args.background_photo))
                progress.update(outcomes[-1])
        except KeyboardInterrupt:
            raise Cancelled(outcomes) from None
        return outcomes

    from concurrent.futures import ProcessPoolExecutor, as_completed
    pool = ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(args.models, threads))
    try:
        futures = [pool.submit(do_photo, task, settings, output, args.json, args.background_photo) for task in tasks]
        for future in as_completed(futures):
            outcomes.append(future.result())
            progress.update(outcomes[-1])
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)  # the photos under way finish; the rest never start
        raise Cancelled([f.result() for f in futures if f.done() and not f.cancelled()]) from None
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return outcomes


def check_models(models_dir: Path) -> str | None:
    """Why the models cannot be used (missing folder, manifest or file; a file that is not the one the
    manifest pins), or None. Checked once up front, so a bad --models stops the run before any photo."""
    from .models import ModelError, load_native_models
    if not (models_dir / "manifest.json").is_file():
        return (f"no models at {models_dir} (manifest.json is missing): pass --models DIR, the models/ "
                f"folder of the googly-eyes repository")
    try:
        load_native_models(models_dir, 1)
    except ModelError as error:
        return f"{error} (in {models_dir})"
    except (OSError, ValueError, KeyError) as error:
        return f"the models in {models_dir} cannot be opened: {error}"
    return None


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    settings, output = settings_of(args, cli)
    tasks, problems, skipped = plan(args.paths, args.out)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if skipped and not args.quiet:
        names = ", ".join(str(path) for path in skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        print(f"skipped {len(skipped)} file(s) that are not photos by name: {names}", file=sys.stderr)
    if not tasks:
        print("error: no photos to do" + (" (see above)" if problems else ""), file=sys.stderr)
        return EXIT_USAGE
    problem = check_models(args.models)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE

    start = time.perf_counter()
    progress = Progress(len(tasks), args.quiet)
    try:
        outcomes = run(tasks, args, settings, output, progress)
    except Cancelled as cancelled:
        progress.close()
        written = sum(1 for outcome in cancelled.outcomes if not outcome.error)
        print(f"\ncancelled: {written} of {len(tasks)} photos were written to {args.out} before it stopped "
              f"(no partial files are left)", file=sys.stderr)
        return EXIT_CANCELLED
    progress.close()
    return summarise(outcomes, problems, args.out, time.perf_counter() - start)


def summarise(outcomes: list[Outcome], problems: list[str], out: Path, seconds: float) -> int:
    failed = [o for o in outcomes if o.error]
    done = [o for o in outcomes if not o.error]
    faceless = sum(1 for o in done if o.faces == 0)
    faces = sum(o.faces for o in done)
    rate = f", {len(outcomes) / seconds:.1f} photos/s" if seconds > 0 else ""
    faceless = f"; {faceless} with no faces found, written unchanged" if faceless else ""
    print(f"{len(done)} photo(s) written to {out} ({faces} faces{faceless}), {len(failed) + len(problems)} failed, "
          f"in {seconds:.1f} s{rate}", file=sys.stderr)
    if failed or problems:
        print("failed:", file=sys.stderr)
        for line in problems + sorted(o.error for o in failed):
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
